import type * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import { augmentImages, type AugmentArgs } from './augment';
import { subset, type ImageSet } from './image_set';
import { toTensors, UNIT_RANGE, type PixelRange } from './tensors';

/** Options of {@link batchDataset}. */
export interface BatchDatasetArgs {
  /** Images per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Reshuffle every epoch. @default true */
  shuffle?: boolean;
  /** Seeds the shuffles and augmentations; epoch e draws from its own stream, so runs are reproducible. @default 0 */
  seed?: number;
  /** Fresh train-time augmentation every epoch, or false. @default false */
  augment?: AugmentArgs | false;
  /** The values pixel 0 and 255 map to. @default {min: 0, max: 1} */
  range?: PixelRange;
  /**
   * Changes each batch (after shuffling and augmentation, before it becomes tensors), e.g. an attack that poisons
   * part of every batch afresh, as WaNet's reference training does. Called once per batch, in order; it returns new
   * bytes and labels of the same shape and must not change its argument. @default none
   */
  transformBatch?: (batch: ImageSet) => ImageSet;
}

/**
 * A tf.data dataset (`tf.data.generator`, from @tensorflow/tfjs-data) for `model.fitDataset` that yields {xs, ys}
 * batches from an ImageSet, shuffled and augmented afresh each epoch. Tensors are made per batch, on demand, and
 * `fitDataset` disposes them after the step, so memory stays flat however large the set. Batches are cut here, not
 * by `dataset.batch()`, which would make one tensor per image and stack them: one `toTensors` call per batch is the
 * cheaper route.
 * Epochs are counted per dataset object, from the first batch drawn by an iterator: epoch e shuffles and augments
 * with an Rng seeded from (seed, e), so two datasets built alike yield the same batches, epoch by epoch. Reusing
 * one object for a second `fitDataset` call continues the count (epoch e+1, ...) rather than replaying epoch 0.
 * Batch tensors belong to the consumer (`fitDataset` disposes them after each step).
 * Each iterator ends after one pass (one epoch), so do not give `fitDataset` a `batchesPerEpoch`: with it, fitDataset
 * keeps one iterator for all epochs and stops, with a warning, when that runs out after the first.
 */
export function batchDataset(set: ImageSet, args: BatchDatasetArgs): tfd.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }> {
  checkNumber('batchSize', args.batchSize, 1, Infinity, { integer: true });
  const { batchSize } = args;
  const shuffle = args.shuffle ?? true;
  const seed = args.seed ?? 0;
  checkNumber('seed', seed, 0, 2 ** 32, { integer: true });
  const augment = args.augment ?? false;
  const range = args.range ?? UNIT_RANGE;
  const transform = args.transformBatch;
  let epoch = 0;
  // tf.data calls this once per iterator (fitDataset asks for one before its loop and one per epoch); the body, and
  // with it the epoch count, starts only when the first batch is drawn.
  return tfd.generator(function* epochBatches() {
    const rng = new Rng((seed * 1000003 + epoch * 7919 + 1) >>> 0);
    epoch++;
    const source = augment === false ? set : augmentImages(set, rng, augment);
    const order = shuffle ? rng.permutation(set.count) : Int32Array.from({ length: set.count }, (_, i) => i);
    for (let next = 0; next < set.count; next += batchSize) {
      const idx = Array.prototype.slice.call(order, next, next + batchSize) as number[];
      const { x, y } = transform === undefined ? toTensors(source, range, idx) : toTensors(transform(subset(source, idx)), range);
      yield { xs: x, ys: y };
    }
  });
}
