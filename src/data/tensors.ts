import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from './image_set';

/** The input values that pixel 0 and pixel 255 map to (linearly). */
export interface PixelRange {
  min: number;
  max: number;
}

/** [0, 1]: the scaling most tfjs image models are trained with. */
export const UNIT_RANGE: PixelRange = { min: 0, max: 1 };

/**
 * The model inputs alone for an ImageSet (or the images at `indices`): float32 NHWC scaled to `range`. For callers
 * that never read the labels (prediction, inversion, BatchNorm statistics), so no one-hot tensor is built for them.
 * Returns a new tensor: the caller owns and disposes it.
 */
export function toInputs(set: ImageSet, range: PixelRange = UNIT_RANGE, indices?: ArrayLike<number>): tf.Tensor4D {
  const per = set.height * set.width * set.channels;
  const n = indices === undefined ? set.count : indices.length;
  const pixels = new Float32Array(n * per);
  const scale = (range.max - range.min) / 255;
  for (let k = 0; k < n; k++) {
    const i = indices === undefined ? k : (indices[k] as number);
    const src = set.images.subarray(i * per, (i + 1) * per);
    const off = k * per;
    for (let j = 0; j < per; j++) pixels[off + j] = range.min + (src[j] as number) * scale;
  }
  return tf.tensor4d(pixels, [n, set.height, set.width, set.channels]);
}

/**
 * Turns an ImageSet (or the images at `indices`) into model inputs: x float32 NHWC scaled to `range`, y one-hot
 * float32 [n, numClasses]. Returns new tensors: the caller owns and disposes both.
 */
export function toTensors(
  set: ImageSet,
  range: PixelRange = UNIT_RANGE,
  indices?: ArrayLike<number>,
): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = indices === undefined ? set.count : indices.length;
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) labels[k] = set.labels[indices === undefined ? k : (indices[k] as number)] as number;
  const x = toInputs(set, range, indices);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), set.numClasses), 'float32')) as tf.Tensor2D;
  return { x, y };
}
