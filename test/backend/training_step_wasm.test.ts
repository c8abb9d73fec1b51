import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';

import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { buildModel } from '../../src/models';
import { expectNoLeak } from '../helpers/leak';
import { relErr, values } from '../helpers/numeric';

const BATCH = 2;
const LR = 0.1;
/** Input side in pixels: small, since these checks run on wasm only and need no cpu reference. */
const SIDE = 20;


/** Every other layer kind a training step may hit on wasm: depthwise/separable convs, average pooling, dropout. */
function kitchenSink(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.inputLayer({ inputShape: [SIDE, SIDE, 1] }),
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
      tfl.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'valid', activation: 'relu' }),
      tfl.layers.averagePooling2d({ poolSize: 2 }),
      tfl.layers.batchNormalization({}),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/**
 * Fixed starting weights, the same plain arrays on both backends: kernels uniform in ±sqrt(3 / fanIn) (unit-variance
 * activations, so the softmax does not saturate and the gradients are not dominated by rounding), BN scales and
 * variances near 1, other vectors near 0.
 */
function initialWeights(model: tfl.LayersModel, seed: number): number[][] {
  return model.getWeights().map((w, i) => {
    const name = model.weights[i]?.originalName ?? '';
    const v = values(w.size, seed + i);
    if (name.includes('moving_variance') || name.includes('gamma')) return v.map((u) => 1 + 0.2 * u);
    if (w.rank < 2) return v.map((u) => 0.1 * u);
    const fanIn = w.size / (w.shape[w.rank - 1] ?? 1);
    return v.map((u) => Math.sqrt(3 / fanIn) * u);
  });
}

/** Builds the model on the current backend, sets `init`, runs one SGD step, returns every weight (BN stats too). */
async function stepWeights(build: () => tfl.LayersModel, init: number[][] | undefined): Promise<{ init: number[][]; after: Float32Array[] }> {
  const model = build();
  const start = init ?? initialWeights(model, 100);
  const startTensors = model.getWeights().map((w, i) => tf.tensor(start[i] ?? [], w.shape));
  model.setWeights(startTensors);
  tf.dispose(startTensors);
  model.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy' });
  const x = tf.tensor4d(values(BATCH * SIDE * SIDE, 7).map((v) => (v + 1) / 2), [BATCH, SIDE, SIDE, 1]);
  const y = tf.oneHot(tf.tensor1d([1, 3, 5, 7].slice(0, BATCH), 'int32'), 10);
  await model.trainOnBatch(x, y);
  const after = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  tf.dispose([x, y]);
  model.dispose();
  return { init: start, after };
}

// The step-equality check for the package's own architectures is in models_step_wasm.test.ts.
describe('other layer kinds train on wasm; no leaks', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('depthwise, separable, average-pool, BN and dropout layers train on wasm too', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const { init, after } = await stepWeights(kitchenSink, undefined);
    await tf.setBackend('cpu');
    const changed = after.map((w, i) => relErr(w, init[i] ?? []) > 0);
    expect(after.every((w) => w.every(Number.isFinite))).toBe(true);
    expect(changed.filter((c) => c).length).toBeGreaterThan(after.length / 2);
  });

  it('a training step on wasm leaves no tensor behind', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const model = buildModel('small-cnn', { inputShape: [SIDE, SIDE, 1], numClasses: 10, seed: 1 });
    model.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const x = tf.tensor4d(values(2 * SIDE * SIDE, 3), [2, SIDE, SIDE, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 10);
    await expectNoLeak(() => model.trainOnBatch(x, y));
    tf.dispose([x, y]);
    model.dispose();
    await tf.setBackend('cpu');
  });
});
