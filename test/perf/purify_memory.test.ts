import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';

import { registerTrainingKernels } from '../../src/backend/training_kernels';
import type { ImageSet } from '../../src/data/image_set';
import { purify } from '../../src/defenses/tsbd';
import { TsbdEmitter, type Phase } from '../../src/events';
import { Rng } from '../../src/internal/rng';

/**
 * Issue 4, memory: over a 3-epoch purify, the live tensor count and the bytes they hold stay flat from epoch to epoch
 * in each phase, and everything purify made is gone once its result is disposed. On cpu and on wasm (where our
 * kernels and gradient overrides run: conv, BatchNorm, max-pool, broadcasting ops).
 */
function toySet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let p = 0; p < 64; p++) images[i * 64 + p] = (p % 8 < 3 * (label + 1) ? 150 : 30) + rng.int(80);
  }
  return { images, labels, count, height: 8, width: 8, channels: 1, numClasses: 3 };
}

function tinyModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }));
  m.add(tfl.layers.batchNormalization({ axis: -1 }));
  m.add(tfl.layers.activation({ activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

describe.each(['cpu', 'wasm'])('memory over a 3-epoch purify (%s)', (backend) => {
  beforeAll(async () => {
    registerTrainingKernels();
    expect(await tf.setBackend(backend)).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('tensor count and bytes are flat from epoch to epoch, and back to the start after dispose', async () => {
    const model = tinyModel();
    const clean = toySet(48, 1);
    const seen: Record<string, { tensors: number; bytes: number }[]> = {};
    const events = new TsbdEmitter().on('epochEnd', (phase: Phase) => {
      const m = tf.memory();
      (seen[phase] ??= []).push({ tensors: m.numTensors, bytes: m.numBytes });
    });
    const options = {
      fraction: 0.25,
      seed: 1,
      events,
      unlearn: { maxEpochs: 3, batchSize: 12, targetAcc: 0, collapseShare: 1 },
      finetune: { epochs: 3, batchSize: 12 },
    };
    // Warm-up: kernels and lazily created state (tfjs-layers' name scopes, wasm setup) appear once.
    (await purify(model, clean, options)).model.dispose();
    for (const k of Object.keys(seen)) delete seen[k];
    const before = tf.memory().numTensors;

    const { model: purified } = await purify(model, clean, options);
    const finetune = seen['finetune'] ?? [];
    expect(finetune).toHaveLength(3);
    for (const phase of Object.keys(seen)) {
      const epochs = seen[phase] ?? [];
      for (const e of epochs) {
        expect({ phase, ...e }).toEqual({ phase, ...(epochs[0] as { tensors: number; bytes: number }) });
      }
    }
    purified.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
