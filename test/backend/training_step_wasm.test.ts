import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';

import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { expectNoLeak } from '../helpers/leak';
import { relErr, values } from '../helpers/numeric';

type ST = tfl.SymbolicTensor;
const BATCH = 2;
const LR = 0.1;
/**
 * Input side in pixels. The architectures are the 28x28x1 ones; the step test feeds 20x20 (20 → 10 → 5 keeps an odd
 * size under stride 2) because the cpu reference's naive conv gradients take seconds per step at 28x28.
 */
const SIDE = 20;



function apply(layer: tfl.layers.Layer, x: ST | ST[]): ST {
  return layer.apply(x) as ST;
}

/** Test copy of "preact-resnet-s" (src/models belongs to another module): stem, 3 pre-activation blocks, GAP head. */
function preactResnetS(): tfl.LayersModel {
  const bn = (): tfl.layers.Layer => tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 });
  const relu = (): tfl.layers.Layer => tfl.layers.activation({ activation: 'relu' });
  const conv = (filters: number, k: number, s: number): tfl.layers.Layer =>
    tfl.layers.conv2d({ filters, kernelSize: k, strides: s, padding: 'same', useBias: false });
  const block = (x: ST, filters: number, s: number): ST => {
    const a = apply(relu(), apply(bn(), x));
    let out = apply(conv(filters, 3, s), a);
    out = apply(conv(filters, 3, 1), apply(relu(), apply(bn(), out)));
    const shortcut = s === 1 && x.shape[3] === filters ? x : apply(conv(filters, 1, s), a);
    return apply(tfl.layers.add({}), [out, shortcut]);
  };
  const input = tfl.input({ shape: [SIDE, SIDE, 1] });
  let x = apply(conv(16, 3, 1), input);
  x = block(x, 16, 1);
  x = block(x, 32, 2);
  x = block(x, 64, 2);
  x = apply(tfl.layers.globalAveragePooling2d({}), apply(relu(), apply(bn(), x)));
  return tfl.model({ inputs: input, outputs: apply(tfl.layers.dense({ units: 10, activation: 'softmax' }), x) });
}

/** Test copy of the small CNN: conv16-conv16-maxpool-conv32-conv32(stride 2)-flatten-dense10. */
function smallCnn(): tfl.LayersModel {
  const conv = (filters: number, strides: number): tfl.layers.Layer =>
    tfl.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', activation: 'relu' });
  return tfl.sequential({
    layers: [
      tfl.layers.inputLayer({ inputShape: [SIDE, SIDE, 1] }),
      conv(16, 1),
      conv(16, 1),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      conv(32, 1),
      conv(32, 2),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

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

describe('one SGD step on wasm equals the same step on cpu', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['small CNN', smallCnn],
    ['preact-resnet-s', preactResnetS],
  ] as const)('%s: updated weights and updates agree', async (_name, build) => {
    await tf.setBackend('cpu');
    const ref = await stepWeights(build, undefined);
    expect(await tf.setBackend('wasm')).toBe(true);
    const got = await stepWeights(build, ref.init);
    await tf.setBackend('cpu');
    expect(got.after.length).toBe(ref.after.length);
    let worstWeight = 0;
    let worstUpdate = 0;
    ref.after.forEach((refW, i) => {
      const gotW = got.after[i] as Float32Array;
      const start = ref.init[i] as number[];
      worstWeight = Math.max(worstWeight, relErr(gotW, refW));
      // The step itself (w_after - w_before) must agree too, not only the weights it barely moves.
      worstUpdate = Math.max(worstUpdate, relErr(gotW.map((v, j) => v - (start[j] ?? 0)), refW.map((v, j) => v - (start[j] ?? 0))));
    });
    expect(worstWeight).toBeLessThan(1e-4);
    expect(worstUpdate).toBeLessThan(1e-3);
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
    const model = smallCnn();
    model.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const x = tf.tensor4d(values(2 * SIDE * SIDE, 3), [2, SIDE, SIDE, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 10);
    await expectNoLeak(() => model.trainOnBatch(x, y));
    tf.dispose([x, y]);
    model.dispose();
    await tf.setBackend('cpu');
  });
});
