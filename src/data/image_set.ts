import { DataShapeError } from '../errors';

/**
 * A labelled image set held as plain bytes, so that it owns no tensors and cannot leak.
 * Pixels are uint8 0..255, NHWC row-major: image i starts at i * height * width * channels.
 */
export interface ImageSet {
  readonly images: Uint8Array;
  /** Class index per image, 0 .. numClasses-1. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly numClasses: number;
}

/** Checks that sizes agree and labels are in range; throws a DataShapeError naming the problem. */
export function validateImageSet(set: ImageSet, what = 'image set'): void {
  const per = set.height * set.width * set.channels;
  if (set.count <= 0) throw new DataShapeError(`${what} is empty (0 images)`, { count: set.count });
  if (set.images.length !== set.count * per) {
    throw new DataShapeError(
      `${what}: images hold ${set.images.length} bytes, expected count*height*width*channels = ` +
        `${set.count}*${set.height}*${set.width}*${set.channels} = ${set.count * per}`,
      { bytes: set.images.length, expected: set.count * per },
    );
  }
  if (set.labels.length !== set.count) {
    throw new DataShapeError(`${what}: ${set.labels.length} labels for ${set.count} images`, {
      labels: set.labels.length,
      count: set.count,
    });
  }
  for (let i = 0; i < set.count; i++) {
    const l = set.labels[i] as number;
    if (l >= set.numClasses) {
      throw new DataShapeError(`${what}: label ${l} at index ${i} is out of range [0, ${set.numClasses - 1}]`, {
        index: i,
        label: l,
        numClasses: set.numClasses,
      });
    }
  }
}

/** A new set holding the images at `indices`, in that order (bytes are copied). */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = set.height * set.width * set.channels;
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    images.set(set.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = set.labels[i] as number;
  }
  return { ...set, images, labels, count: indices.length };
}

/** `a` then `b` in one set (bytes copied); both have the same image size. */
export function concatSets(a: ImageSet, b: ImageSet): ImageSet {
  const images = new Uint8Array(a.images.length + b.images.length);
  images.set(a.images);
  images.set(b.images, a.images.length);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { ...a, images, labels, count: a.count + b.count };
}
