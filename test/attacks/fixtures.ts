import type { ImageSet } from '../../src/data/image_set';

/** A 1-channel set of `count` images h x w, every pixel `fill`, labels i mod numClasses. */
export function flatSet(count: number, h: number, w: number, fill: number, numClasses = 4, channels = 1): ImageSet {
  return {
    images: new Uint8Array(count * h * w * channels).fill(fill),
    labels: Uint8Array.from({ length: count }, (_, i) => i % numClasses),
    count,
    height: h,
    width: w,
    channels,
    numClasses,
  };
}

/** One image from explicit pixel values (HWC order). */
export function oneImage(values: number[], h: number, w: number, channels = 1): ImageSet {
  return { images: Uint8Array.from(values), labels: Uint8Array.from([1]), count: 1, height: h, width: w, channels, numClasses: 2 };
}
