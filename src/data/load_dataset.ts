import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ConfigError, IoError } from '../errors';
import { findCifar10Dir, loadCifar10 } from './cifar10';
import { loadFashionMnist } from './fashion_mnist';
import { findGtsrbDir, loadGtsrb } from './gtsrb';
import { isImageFolders, loadImageFolders } from './image_folders';
import type { ImageSet } from './image_set';
import type { ImageSize } from './resize_image';
import { findTinyImagenetDir, loadTinyImagenet } from './tiny_imagenet';

/** The on-disk layouts {@link loadDataset} reads. */
export type DataFormat = 'idx' | 'cifar10' | 'gtsrb' | 'tiny-imagenet' | 'image-folders';

/** Every DataFormat, in the order detection tries them. */
export const DATA_FORMATS: readonly DataFormat[] = ['idx', 'cifar10', 'gtsrb', 'tiny-imagenet', 'image-folders'];

/** Options of {@link loadDataset}. */
export interface LoadDatasetArgs {
  /** The layout of `path`; 'auto' detects it. @default 'auto' */
  format?: DataFormat | 'auto';
  /**
   * Resize every image to this size (bilinear). Applies to gtsrb (default 32x32), tiny-imagenet (default: as stored,
   * 64x64) and image-folders (default: as stored, all one size); idx and cifar10 keep their stored size.
   */
  imageSize?: ImageSize;
}

const hasIdx = (dir: string): boolean =>
  ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => existsSync(join(dir, f)));

/** The format of the data set at `dir`, or undefined when none matches. Tiny-ImageNet is tried before image-folders. */
export function detectFormat(dir: string): DataFormat | undefined {
  if (hasIdx(dir)) return 'idx';
  if (findCifar10Dir(dir) !== undefined) return 'cifar10';
  if (findGtsrbDir(dir) !== undefined) return 'gtsrb';
  if (findTinyImagenetDir(dir) !== undefined) return 'tiny-imagenet';
  if (isImageFolders(dir)) return 'image-folders';
  return undefined;
}

/**
 * Loads the train and test splits of the data set at directory `path`, in the format named or detected:
 * - idx: the four (Fashion-)MNIST IDX files, raw or .gz;
 * - cifar10: the binary batches (cifar-10-batches-bin, or the folder above it);
 * - gtsrb: the official Final_Training / Final_Test folders, cropped to each ROI and resized (32x32 by default);
 * - tiny-imagenet: tiny-imagenet-200's train/ and val/ (val is the test split);
 * - image-folders: train/<class>/ and test/<class>/ (or val/) of PNG or JPEG files.
 * The ImageSets hold plain bytes (no tensors). `source` describes what was read.
 * @throws IoError when `path` is missing or matches no format; ConfigError for an unknown format or an imageSize
 * the format cannot use; the loaders' errors for a broken data set.
 */
export function loadDataset(path: string, args: LoadDatasetArgs = {}): { train: ImageSet; test: ImageSet; format: DataFormat; source: string } {
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new IoError(`data directory not found: ${dir}`, { path: dir });
  const asked = args.format ?? 'auto';
  if (asked !== 'auto' && !DATA_FORMATS.includes(asked)) {
    throw new ConfigError(`format must be auto or one of ${DATA_FORMATS.join(', ')}; received ${JSON.stringify(asked)}`, { option: 'format', received: asked });
  }
  const format = asked === 'auto' ? detectFormat(dir) : asked;
  if (format === undefined) {
    throw new IoError(
      `cannot tell the data format of ${dir}: expected IDX files (train-images-idx3-ubyte[.gz], ...), CIFAR-10 batches ` +
        '(data_batch_1.bin .. test_batch.bin), GTSRB (Final_Training/Images), Tiny-ImageNet (wnids.txt, train/, ' +
        'val/val_annotations.txt) or train/<class>/ with test/ or val/ folders of PNG/JPEG files',
      { path: dir },
    );
  }
  const size = args.imageSize;
  if (size !== undefined) {
    if (format === 'idx' || format === 'cifar10') {
      throw new ConfigError(`an image size applies to gtsrb, tiny-imagenet and image-folders data, not ${format}`, { option: 'imageSize', format });
    }
    if (![size.height, size.width].every((d) => Number.isInteger(d) && d >= 1)) {
      throw new ConfigError(`imageSize must be positive integers; received ${JSON.stringify(size)}`, { option: 'imageSize', received: size });
    }
  }
  const read = (): { train: ImageSet; test: ImageSet } => {
    switch (format) {
      case 'idx':
        return loadFashionMnist(dir);
      case 'cifar10':
        return loadCifar10(dir);
      case 'gtsrb':
        return loadGtsrb(dir, size);
      case 'tiny-imagenet':
        return loadTinyImagenet(dir, size);
      case 'image-folders':
        return loadImageFolders(dir, size);
    }
  };
  const { train, test } = read();
  return { train, test, format, source: `${format} ${dir}` };
}
