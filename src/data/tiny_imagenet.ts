import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DataShapeError, IoError } from '../errors';
import { decodeImage } from './decode_image';
import type { ImageSet } from './image_set';
import { checkSameSize, ImageSetBuilder } from './image_set_builder';
import type { ImageSize } from './resize_image';

/** The Tiny-ImageNet root (the folder holding wnids.txt, train/ and val/): `dir` or its `tiny-imagenet-200` folder. */
export function findTinyImagenetDir(dir: string): string | undefined {
  for (const d of [dir, join(dir, 'tiny-imagenet-200')]) {
    if (existsSync(join(d, 'wnids.txt')) && existsSync(join(d, 'train')) && existsSync(join(d, 'val', 'val_annotations.txt'))) return d;
  }
  return undefined;
}

const isJpeg = (name: string): boolean => /\.jpe?g$/i.test(name);

/**
 * Loads Tiny-ImageNet's directory layout: `wnids.txt` (one WordNet id per line), `train/<wnid>/images/*.JPEG`, and
 * `val/images/*.JPEG` labelled by `val/val_annotations.txt` (tab-separated: file name, wnid, then a box that is not
 * used). The unlabelled `test/` folder is not read; val is the test split. Class k is the k-th wnid in sorted order
 * (as torchvision's ImageFolder numbers the train folders). Images stay 64x64 unless `size` is given; the few
 * greyscale JPEGs become RGB with R = G = B. `dir` is the tiny-imagenet-200 folder or the one above it.
 * @throws IoError for a missing file or folder; DataShapeError for an unknown wnid or a bad image.
 */
export function loadTinyImagenet(dir: string, size?: ImageSize): { train: ImageSet; test: ImageSet } {
  const root = findTinyImagenetDir(dir);
  if (root === undefined) {
    throw new IoError(`no Tiny-ImageNet layout (wnids.txt, train/, val/val_annotations.txt) in ${dir} or ${join(dir, 'tiny-imagenet-200')}`, { path: dir });
  }
  const wnidsPath = join(root, 'wnids.txt');
  const wnids = readFileSync(wnidsPath, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '').sort();
  if (wnids.length < 2 || wnids.length > 256) {
    throw new DataShapeError(`${wnidsPath} lists ${wnids.length} classes; expected 2 to 256`, { path: wnidsPath, classes: wnids.length });
  }
  const classOf = new Map(wnids.map((w, i) => [w, i]));
  const train = new ImageSetBuilder(wnids.length, size);
  for (const wnid of wnids) {
    const folder = join(root, 'train', wnid, 'images');
    if (!existsSync(folder)) throw new IoError(`Tiny-ImageNet class ${wnid} (in ${wnidsPath}) has no folder ${folder}`, { path: folder });
    for (const name of readdirSync(folder).filter(isJpeg).sort()) {
      const path = join(folder, name);
      train.add(decodeImage(readFileSync(path), path), classOf.get(wnid) as number, path);
    }
  }
  const annotations = join(root, 'val', 'val_annotations.txt');
  const test = new ImageSetBuilder(wnids.length, size);
  const rows = readFileSync(annotations, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  rows.forEach((line, k) => {
    const [name, wnid] = line.split('\t').map((s) => s.trim());
    const label = wnid === undefined ? undefined : classOf.get(wnid);
    if (name === undefined || name === '' || label === undefined) {
      throw new DataShapeError(`${annotations}: line ${k + 1} names no file or a wnid not in wnids.txt ('${line}')`, { path: annotations, line: k + 1 });
    }
    const path = join(root, 'val', 'images', name);
    if (!existsSync(path)) throw new IoError(`${annotations} lists ${name}, which is not in ${join(root, 'val', 'images')}`, { path });
    test.add(decodeImage(readFileSync(path), path), label, path);
  });
  const trainSet = train.build(`Tiny-ImageNet train split (${join(root, 'train')})`);
  const testSet = test.build(`Tiny-ImageNet val split (${annotations})`);
  checkSameSize(trainSet, testSet, join(root, 'val', 'images'));
  return { train: trainSet, test: testSet };
}
