import { DataShapeError } from '../errors';
import type { RgbImage } from './rgb_image';
import type { ImageSet } from './image_set';
import { resizeImage, type ImageSize } from './resize_image';

/**
 * Collects decoded images of one split into an RGB ImageSet of one size. Given a `size`, it resizes every image to
 * it (bilinear, {@link resizeImage}); without one, the first image fixes the size and another size is an error.
 * Holds plain bytes only.
 */
export class ImageSetBuilder {
  private readonly resize: boolean;
  private size: ImageSize | undefined;
  private readonly chunks: Uint8Array[] = [];
  private readonly labels: number[] = [];

  constructor(
    private readonly numClasses: number,
    size?: ImageSize,
  ) {
    this.resize = size !== undefined;
    this.size = size;
  }

  /** Adds `img` with class `label`; `what` names its file in errors. */
  add(img: RgbImage, label: number, what: string): void {
    if (!Number.isInteger(label) || label < 0 || label >= this.numClasses) {
      throw new DataShapeError(`${what}: class ${label} is out of range [0, ${this.numClasses - 1}]`, { path: what, label });
    }
    if (this.size === undefined) this.size = { height: img.height, width: img.width };
    if (this.resize) {
      this.chunks.push(resizeImage(img, this.size));
    } else if (this.size.height !== img.height || this.size.width !== img.width) {
      throw new DataShapeError(
        `${what} is ${img.width}x${img.height} (width x height) but the first image is ${this.size.width}x${this.size.height}; ` +
          'images of several sizes need a target size (imageSize, or --image-size on the command line)',
        { path: what, width: img.width, height: img.height },
      );
    } else {
      this.chunks.push(img.rgb);
    }
    this.labels.push(label);
  }

  /** The collected images as a new ImageSet (3 channels). `what` names the split in errors. */
  build(what: string): ImageSet {
    if (this.size === undefined || this.labels.length === 0) {
      throw new DataShapeError(`${what} holds no images`, { split: what });
    }
    const { height, width } = this.size;
    const per = height * width * 3;
    const images = new Uint8Array(this.labels.length * per);
    this.chunks.forEach((c, i) => images.set(c, i * per));
    return { images, labels: Uint8Array.from(this.labels), count: this.labels.length, height, width, channels: 3, numClasses: this.numClasses };
  }
}

/** Throws DataShapeError, naming `testWhere`, unless the test images have the training images' size. */
export function checkSameSize(train: ImageSet, test: ImageSet, testWhere: string): void {
  if (train.height !== test.height || train.width !== test.width) {
    throw new DataShapeError(
      `${testWhere}: test images are ${test.width}x${test.height} but training images are ${train.width}x${train.height}; ` +
        'give a target size (imageSize, or --image-size) to resize both',
      { path: testWhere },
    );
  }
}
