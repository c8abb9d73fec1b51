import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../src/data/image_set';
import { Rng } from '../../src/internal/rng';

/**
 * 4x4 grey images -> softmax over 2 classes with logit1 = 30 * pixel(0, 0) - 10 and logit0 = 0 (pixels in [0, 1]):
 * pixel (0, 0) alone decides the class, a backdoor on one pixel. Class 1 needs pixel(0,0) > 1/3, class 0 < 1/3.
 */
export function onePixelModel(): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 2, activation: 'softmax' })] });
  const kernel = new Float32Array(16 * 2);
  kernel[0 * 2 + 1] = 30;
  m.layers[1]?.setWeights([tf.tensor2d(kernel, [16, 2]), tf.tensor1d([0, -10])]);
  return m;
}

/** `count` 4x4 images, class i % 2: pixel (0, 0) is 0 for class 0 and 255 for class 1, the rest random. */
export function onePixelSet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 16);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    images[i * 16] = i % 2 === 1 ? 255 : 0;
    for (let p = 1; p < 16; p++) images[i * 16 + p] = rng.int(256);
  }
  return { images, labels, count, height: 4, width: 4, channels: 1, numClasses: 2 };
}
