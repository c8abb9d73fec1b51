import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { augmentImages } from '../../src/data/augment';
import { batchDataset } from '../../src/data/batch_dataset';
import type { ImageSet } from '../../src/data/image_set';
import { toTensors } from '../../src/data/tensors';
import type { Rng } from '../../src/internal/rng';
import { expectNoLeak } from '../helpers/leak';

/** A 4x4 image whose pixel (r, c) is 4r + c + 1. */
const grid: ImageSet = {
  images: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
  labels: Uint8Array.from([3]),
  count: 1,
  height: 4,
  width: 4,
  channels: 1,
  numClasses: 5,
};

/** An Rng stand-in that returns the queued draws. */
function stubRng(ints: number[], nexts: number[]): Rng {
  return { int: () => ints.shift() as number, next: () => nexts.shift() as number } as unknown as Rng;
}

describe('augmentImages: random crop after zero padding, then horizontal flip', () => {
  // padding 1: draws int(3) = 2 -> dy = +1, int(3) = 0 -> dx = -1, so out(r, c) = in(r + 1, c - 1), zero outside.
  it('crops as drawn', () => {
    const out = augmentImages(grid, stubRng([2, 0], []), { padding: 1, flip: false });
    expect(Array.from(out.images)).toEqual([0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 0, 0, 0]);
    expect(out.labels).toEqual(grid.labels);
    expect(grid.images[0]).toBe(1); // the input is untouched
  });
  it('mirrors when the flip draw is below 1/2', () => {
    const out = augmentImages(grid, stubRng([2, 0], [0.3]), { padding: 1 });
    expect(Array.from(out.images.subarray(0, 4))).toEqual([7, 6, 5, 0]);
  });
});

describe('toTensors', () => {
  it('scales pixel 0 and 255 to the range ends and one-hot encodes labels', () => {
    const set: ImageSet = { images: Uint8Array.from([0, 255, 51, 0]), labels: Uint8Array.from([1, 0]), count: 2, height: 1, width: 2, channels: 1, numClasses: 3 };
    const { x, y } = toTensors(set, { min: -1, max: 1 });
    expect(x.shape).toEqual([2, 1, 2, 1]);
    const v = Array.from(x.dataSync());
    expect(v[0]).toBeCloseTo(-1, 6);
    expect(v[1]).toBeCloseTo(1, 6);
    expect(v[2]).toBeCloseTo(-1 + (2 * 51) / 255, 6);
    expect(Array.from(y.dataSync())).toEqual([0, 1, 0, 1, 0, 0]);
    tf.dispose([x, y]);
  });
});

describe('batchDataset for model.fitDataset', () => {
  const set: ImageSet = { ...grid, images: new Uint8Array(16 * 10).map((_, i) => (i * 31) % 256), labels: Uint8Array.from({ length: 10 }, (_, i) => i % 5), count: 10 };

  it('yields ceil(n / batchSize) batches covering every image once per epoch', async () => {
    const ds = batchDataset(set, { batchSize: 4, seed: 1 }) as unknown as { iterator: () => Promise<{ next: () => Promise<IteratorResult<{ xs: tf.Tensor; ys: tf.Tensor }>> }> };
    const it = await ds.iterator();
    const sizes: number[] = [];
    let labelSum = 0;
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      sizes.push(r.value.xs.shape[0] as number);
      labelSum += tf.tidy(() => tf.sum(tf.mul(r.value.ys, tf.range(0, 5))).dataSync()[0] as number);
      tf.dispose([r.value.xs, r.value.ys]);
    }
    expect(sizes).toEqual([4, 4, 2]);
    expect(labelSum).toBe(2 * (0 + 1 + 2 + 3 + 4)); // each label twice, whatever the order
  });

  it('trains a model over epochs without leaking, with augmentation on', async () => {
    const model = tfl.sequential();
    model.add(tfl.layers.flatten({ inputShape: [4, 4, 1] }));
    model.add(tfl.layers.dense({ units: 5, activation: 'softmax' }));
    const opt = tf.train.sgd(0.1);
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['acc'] });
    await expectNoLeak(() => model.fitDataset(batchDataset(set, { batchSize: 4, augment: { padding: 1 } }), { epochs: 2, verbose: 0 }));
    model.dispose();
    opt.dispose();
  });
});
