import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../src/data/image_set';
import { toTensors } from '../../src/data/tensors';
import { cleanSet, type CleanSet } from '../../src/defenses/defense';
import { toyModel, toySet } from './toy';

/** Stamps a 2x2 white patch in the top-left corner of every image (the toy trigger); labels unchanged. */
export function stampToy(set: ImageSet): ImageSet {
  const images = Uint8Array.from(set.images);
  for (let i = 0; i < set.count; i++) for (const p of [0, 1, 6, 7]) images[i * 36 + p] = 255;
  return { ...set, images };
}

/**
 * A tiny backdoored model: the conv toy (test/defenses/toy.ts) trained with Adam on 48 toy images, 12 of them class-1 images stamped
 * with the trigger and relabelled 0. Deterministic (seeded initializers, no shuffle). The caller disposes it.
 */
export async function backdooredToy(): Promise<tfl.LayersModel> {
  const base = toySet(48, 21);
  const stamped = stampToy(base);
  const images = Uint8Array.from(base.images);
  const labels = Uint8Array.from(base.labels);
  let poisoned = 0;
  for (let i = 0; i < base.count && poisoned < 12; i++) {
    if (labels[i] !== 1) continue;
    images.set(stamped.images.subarray(i * 36, (i + 1) * 36), i * 36);
    labels[i] = 0;
    poisoned++;
  }
  const model = toyModel();
  const adam = tf.train.adam(0.05);
  model.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
  const { x, y } = toTensors({ ...base, images, labels });
  await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0, shuffle: false });
  tf.dispose([x, y]);
  adam.dispose();
  return model;
}

/** The defender's clean set for the toy: 32 images the model never saw. */
export const toyClean: CleanSet = cleanSet(toySet(32, 22));

/** Every weight of `model` as plain numbers (to check a defense left its input untouched). */
export function weightValues(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

/** conv 'c' (4 filters) -> BatchNorm 'bn' -> ReLU -> flatten -> Dense 2 softmax, seeded. */
export function bnToy(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, name: 'c', kernelInitializer: tfl.initializers.heNormal({ seed: 8 }) }));
  m.add(tfl.layers.batchNormalization({ name: 'bn' }));
  m.add(tfl.layers.reLU());
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }));
  return m;
}
