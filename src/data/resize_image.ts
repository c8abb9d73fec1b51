import * as tf from '@tensorflow/tfjs-core';

import { DataShapeError } from '../errors';
import type { RgbImage } from './rgb_image';

/** An image size in pixels. */
export interface ImageSize {
  height: number;
  width: number;
}

/**
 * The pixels of `img` inside the box [x1, x2) x [y1, y2) (pixel columns and rows, 0-based, ends exclusive), as a
 * new image. Throws DataShapeError naming `what` when the box is empty or leaves the image.
 */
export function cropImage(img: RgbImage, box: { x1: number; y1: number; x2: number; y2: number }, what: string): RgbImage {
  const { x1, y1, x2, y2 } = box;
  if (!(x1 >= 0 && y1 >= 0 && x2 <= img.width && y2 <= img.height && x2 > x1 && y2 > y1)) {
    throw new DataShapeError(
      `${what}: crop box x ${x1}..${x2}, y ${y1}..${y2} is empty or outside the ${img.width}x${img.height} image`,
      { path: what, box, width: img.width, height: img.height },
    );
  }
  const width = x2 - x1;
  const height = y2 - y1;
  const rgb = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const from = ((y1 + r) * img.width + x1) * 3;
    rgb.set(img.rgb.subarray(from, from + width * 3), r * width * 3);
  }
  return { width, height, rgb };
}

/**
 * `img` resized to `size` with tf.image.resizeBilinear (half-pixel centres, as PIL and OpenCV place pixels; no
 * antialiasing), rounded to the nearest integer. A same-size image is copied unchanged. Runs inside tf.tidy: no
 * tensor outlives the call. Returns new bytes.
 *
 * Porting note: torchvision's Resize on PIL images antialiases when it shrinks; tfjs's bilinear resize does not, so
 * a large image shrunk several-fold here keeps more aliasing than in the reference pipelines.
 */
export function resizeImage(img: RgbImage, size: ImageSize): Uint8Array {
  if (img.height === size.height && img.width === size.width) return img.rgb.slice();
  return tf.tidy(() => {
    const x = tf.tensor3d(img.rgb, [img.height, img.width, 3], 'int32');
    const y = tf.image.resizeBilinear(x, [size.height, size.width], false, true);
    return Uint8Array.from(tf.clipByValue(tf.round(y), 0, 255).dataSync());
  });
}
