import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DataShapeError, IoError } from '../errors';
import { decodeImage } from './decode_image';
import type { ImageSet } from './image_set';
import { checkSameSize, ImageSetBuilder } from './image_set_builder';
import type { ImageSize } from './resize_image';

const IMAGE_FILE = /\.(png|jpe?g)$/i;

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** The test split's folder under `root`: `test/`, else `val/`; undefined when neither exists. */
function testFolder(root: string): string | undefined {
  return ['test', 'val'].map((s) => join(root, s)).find((d) => existsSync(d));
}

/** Whether `dir` has the one-folder-per-class layout: `train/` with class folders, and `test/` or `val/`. */
export function isImageFolders(dir: string): boolean {
  return existsSync(join(dir, 'train')) && testFolder(dir) !== undefined && subfolders(join(dir, 'train')).length > 0;
}

function readSplit(folder: string, classes: string[], size: ImageSize | undefined): ImageSetBuilder {
  const builder = new ImageSetBuilder(classes.length, size);
  for (const name of subfolders(folder)) {
    const label = classes.indexOf(name);
    if (label < 0) {
      throw new DataShapeError(`${join(folder, name)}: class '${name}' has no folder under train/ (classes: ${classes.join(', ')})`, { path: join(folder, name) });
    }
    for (const file of readdirSync(join(folder, name)).filter((f) => IMAGE_FILE.test(f)).sort()) {
      const path = join(folder, name, file);
      builder.add(decodeImage(readFileSync(path), path), label, path);
    }
  }
  return builder;
}

/**
 * Loads one folder per class of PNG or JPEG files: `dir/train/<class>/*` and `dir/test/<class>/*` (or `val/`).
 * Class k is the k-th train folder name in sorted order, as torchvision's ImageFolder numbers them; a test folder
 * must name a train class. Files other than .png/.jpg/.jpeg are skipped; images become RGB (alpha dropped, grey
 * expanded). Without `size` all images must share the first one's size; with it, each is resized (bilinear).
 * @throws IoError for a missing train/ or test/ folder; DataShapeError for too many classes, an unknown test class,
 * mixed sizes without `size`, or an image that does not decode.
 */
export function loadImageFolders(dir: string, size?: ImageSize): { train: ImageSet; test: ImageSet } {
  const trainDir = join(dir, 'train');
  const testDir = testFolder(dir);
  if (!existsSync(trainDir) || testDir === undefined) {
    throw new IoError(`an image-folder data set needs ${trainDir} and ${join(dir, 'test')} (or ${join(dir, 'val')})`, { path: dir });
  }
  const classes = subfolders(trainDir);
  if (classes.length < 2 || classes.length > 256) {
    throw new DataShapeError(`${trainDir} has ${classes.length} class folders; expected 2 to 256`, { path: trainDir, classes: classes.length });
  }
  const train = readSplit(trainDir, classes, size).build(`training split (${trainDir})`);
  const test = readSplit(testDir, classes, size).build(`test split (${testDir})`);
  checkSameSize(train, test, testDir);
  return { train, test };
}
