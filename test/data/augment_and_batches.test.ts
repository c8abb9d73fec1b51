import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import * as tfl from '@tensorflow/tfjs-layers';
import { augmentImages } from '../../src/data/augment';
import { batchDataset } from '../../src/data/batch_dataset';
import type { ImageSet } from '../../src/data/image_set';
import { toInputs, toTensors } from '../../src/data/tensors';
import type { Rng } from '../../src/internal/rng';
import { ConfigError } from '../../src/errors';
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
    // the crop above, each row reversed
    expect(Array.from(out.images)).toEqual([7, 6, 5, 0, 11, 10, 9, 0, 15, 14, 13, 0, 0, 0, 0, 0]);
  });
  it('does not mirror when the flip draw is 1/2 or more; padding 0 with no flip is the identity', () => {
    // int(3) = 1, 1 -> dy = dx = 0: no shift; next() = 0.5 -> no flip
    expect(Array.from(augmentImages(grid, stubRng([1, 1], [0.5]), { padding: 1 }).images)).toEqual(Array.from(grid.images));
    expect(Array.from(augmentImages(grid, stubRng([0, 0], []), { padding: 0, flip: false }).images)).toEqual(Array.from(grid.images));
  });
  it('draws dy, dx, flip per image in order, and moves all channels of a pixel together', () => {
    // two 1x2 images with 2 channels: [(1,2),(3,4)] and [(5,6),(7,8)]; padding 1.
    const set: ImageSet = { images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), labels: Uint8Array.from([0, 1]), count: 2, height: 1, width: 2, channels: 2, numClasses: 2 };
    // image 0: dy 0, dx +1 (int 2) -> out col0 = in col1, col1 = 0; flip 0.9 -> none  => [(3,4),(0,0)]
    // image 1: dy 0, dx 0 -> unchanged; flip 0.1 -> mirrored                             => [(7,8),(5,6)]
    const out = augmentImages(set, stubRng([1, 2, 1, 1], [0.9, 0.1]), { padding: 1 });
    expect(Array.from(out.images)).toEqual([3, 4, 0, 0, 7, 8, 5, 6]);
    expect(Array.from(out.labels)).toEqual([0, 1]);
  });
  it('rejects a padding that is negative, fractional or wider than the image', () => {
    expect(() => augmentImages(grid, stubRng([], []), { padding: 5 })).toThrow(/augment.padding must be an integer in \[0, 4\]; received 5/);
    expect(() => augmentImages(grid, stubRng([], []), { padding: 1.5 })).toThrow(ConfigError);
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
    expect([x.dtype, y.dtype]).toEqual(['float32', 'float32']);
    tf.dispose([x, y]);
  });
  it('takes the images at `indices`, in that order; the default range is [0, 1]', () => {
    const set: ImageSet = { images: Uint8Array.from([0, 51, 255]), labels: Uint8Array.from([0, 1, 2]), count: 3, height: 1, width: 1, channels: 1, numClasses: 3 };
    const { x, y } = toTensors(set, undefined, [2, 1]);
    expect(x.shape).toEqual([2, 1, 1, 1]);
    const v = Array.from(x.dataSync());
    expect(v[0]).toBeCloseTo(1, 6);
    expect(v[1]).toBeCloseTo(0.2, 6); // 51 / 255
    expect(Array.from(y.dataSync())).toEqual([0, 0, 1, 0, 1, 0]);
    tf.dispose([x, y]);
  });
  it('leaks nothing once the caller disposes x and y', async () => {
    await expectNoLeak(() => {
      const { x, y } = toTensors(grid);
      tf.dispose([x, y]);
    });
  });
  it('toInputs gives the same x alone: one tensor, no label tensor made', async () => {
    const set: ImageSet = { images: Uint8Array.from([0, 51, 255]), labels: Uint8Array.from([0, 1, 2]), count: 3, height: 1, width: 1, channels: 1, numClasses: 3 };
    const before = tf.memory().numTensors;
    const x = toInputs(set, { min: -1, max: 1 }, [2, 0]);
    expect(tf.memory().numTensors - before).toBe(1);
    expect(x.shape).toEqual([2, 1, 1, 1]);
    const v = Array.from(x.dataSync());
    expect(v[0]).toBeCloseTo(1, 6);
    expect(v[1]).toBeCloseTo(-1, 6);
    x.dispose();
  });
});

describe('batchDataset for model.fitDataset', () => {
  const set: ImageSet = { ...grid, images: new Uint8Array(16 * 10).map((_, i) => (i * 31) % 256), labels: Uint8Array.from({ length: 10 }, (_, i) => i % 5), count: 10 };

  it('is a tf.data dataset (tf.data.generator): its operators work on it', async () => {
    const ds = batchDataset(set, { batchSize: 4, seed: 1 });
    expect(ds).toBeInstanceOf(tfd.Dataset);
    // take(2) of the 3 batches, read through tf.data's own toArray: 4 + 4 images.
    const two = await ds.take(2).toArray();
    expect(two.map((b) => b.xs.shape[0])).toEqual([4, 4]);
    tf.dispose(two.flatMap((b) => [b.xs, b.ys]));
  });

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

  type Iter = { next: () => Promise<IteratorResult<{ xs: tf.Tensor; ys: tf.Tensor }>> };
  type Ds = { iterator: () => Promise<Iter> };
  /** The labels of every batch of one epoch, in order (disposing the batches). */
  async function epochLabels(ds: Ds): Promise<number[]> {
    const it = await ds.iterator();
    const out: number[] = [];
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      const ys = r.value.ys;
      out.push(...Array.from(tf.tidy(() => tf.argMax(ys, -1)).dataSync()));
      tf.dispose([r.value.xs, r.value.ys]);
    }
    return out;
  }

  it('shuffles afresh each epoch, reproducibly from the seed; shuffle false keeps the order', async () => {
    const a = batchDataset(set, { batchSize: 3, seed: 7 }) as unknown as Ds;
    const b = batchDataset(set, { batchSize: 3, seed: 7 }) as unknown as Ds;
    const a0 = await epochLabels(a);
    const a1 = await epochLabels(a);
    expect(await epochLabels(b)).toEqual(a0);
    expect(await epochLabels(b)).toEqual(a1);
    const plain = batchDataset(set, { batchSize: 3, shuffle: false }) as unknown as Ds;
    expect(await epochLabels(plain)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(() => batchDataset(set, { batchSize: 0 })).toThrow(ConfigError);
  });

  it('transformBatch changes each batch in order, after the shuffle, and leaves the set untouched', async () => {
    const before = set.images.slice();
    const sizes: number[] = [];
    // each call relabels its batch to the call's number (0, 1, 2) and sets pixel 0 of every image to 255
    const ds = batchDataset(set, {
      batchSize: 4,
      shuffle: false,
      transformBatch: (b) => {
        const images = b.images.slice();
        for (let i = 0; i < b.count; i++) images[i * 16] = 255;
        sizes.push(b.count);
        return { ...b, images, labels: new Uint8Array(b.count).fill(sizes.length - 1) };
      },
    }) as unknown as Ds;
    expect(await epochLabels(ds)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
    expect(sizes).toEqual([4, 4, 2]);
    const it = await ds.iterator();
    const r = await it.next();
    if (r.done === true) throw new Error('no batch');
    // image 0 of the second epoch (no shuffle): pixel 0 is 255 -> 1; pixel 1 keeps (1 * 31) / 255
    const x = r.value.xs.dataSync();
    expect(x[0]).toBeCloseTo(1, 6);
    expect(x[1]).toBeCloseTo(31 / 255, 6);
    tf.dispose([r.value.xs, r.value.ys]);
    expect(set.images).toEqual(before);
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
