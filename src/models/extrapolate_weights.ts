import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkConfig, checkNumber } from '../internal/assert';

/**
 * Moves `model`'s trainable weights further along the straight line from `from`'s through them, in place:
 * w <- w + factor * (w - w_from), pairing the two models' trainable weights by position (so `model` must have
 * `from`'s architecture, e.g. be a clone of it). factor 0 leaves the weights as they are; 1 doubles their
 * displacement from `from`. Non-trainable weights (BatchNorm moving statistics) are not touched: re-estimate them
 * afterwards (recalibrateBatchNorm). `from` is not changed.
 *
 * @returns the number of weight tensors moved.
 */
export function extrapolateWeights(model: tfl.LayersModel, from: tfl.LayersModel, factor: number): number {
  checkNumber('factor', factor, 0, Infinity);
  const mine = model.trainableWeights;
  const theirs = from.trainableWeights;
  checkConfig(
    mine.length === theirs.length,
    () => `extrapolateWeights needs models of one architecture: ${mine.length} trainable weights against ${theirs.length}`,
  );
  mine.forEach((w, i) => {
    const a = theirs[i] as (typeof theirs)[number];
    checkConfig(
      w.shape.length === a.shape.length && w.shape.every((d, k) => d === a.shape[k]),
      () => `extrapolateWeights: trainable weight ${i} (${w.name}) is [${w.shape.join(', ')}] here, [${a.shape.join(', ')}] in the other model`,
    );
  });
  if (factor === 0) return 0;
  tf.tidy(() => {
    const f = tf.scalar(factor);
    for (let i = 0; i < mine.length; i++) {
      const w = mine[i] as (typeof mine)[number];
      const a = theirs[i] as (typeof theirs)[number];
      w.write(tf.add(w.read(), tf.mul(tf.sub(w.read(), a.read()), f)));
    }
  });
  return mine.length;
}
