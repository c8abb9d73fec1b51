import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageFolders } from '../../src/data/image_folders';
import { DataShapeError } from '../../src/errors';
import { writeJpeg, writePng } from '../helpers/image_files';

describe('loadImageFolders', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tsbd-folders-'));
    // class 'cat' = 0, 'dog' = 1 (sorted names). PNG pixels are exact: pixel (r, c) = (r, c, 9) or (r, c, 99).
    writePng(join(root, 'train', 'dog', 'b.png'), 2, 2, (r, c) => [r, c, 99]);
    writePng(join(root, 'train', 'cat', 'a.PNG'), 2, 2, (r, c) => [r, c, 9]);
    writeFileSync(join(root, 'train', 'cat', 'notes.txt'), 'not an image');
    writeJpeg(join(root, 'val', 'dog', 'c.jpg'), 2, 2, () => [30, 60, 90]);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('numbers classes by sorted folder name, takes val/ when there is no test/, and skips non-image files', () => {
    const { train, test } = loadImageFolders(root);
    expect([train.count, train.height, train.width, train.channels, train.numClasses]).toEqual([2, 2, 2, 3, 2]);
    expect(Array.from(train.labels)).toEqual([0, 1]);
    expect(Array.from(train.images)).toEqual([0, 0, 9, 0, 1, 9, 1, 0, 9, 1, 1, 9, 0, 0, 99, 0, 1, 99, 1, 0, 99, 1, 1, 99]);
    expect(Array.from(test.labels)).toEqual([1]);
    for (let p = 0; p < 4; p++) {
      [30, 60, 90].forEach((v, k) => expect(Math.abs((test.images[p * 3 + k] as number) - v)).toBeLessThanOrEqual(4));
    }
  });

  it('prefers test/ over val/, resizes to a given size, and names mixed sizes and unknown test classes', () => {
    writePng(join(root, 'test', 'cat', 'd.png'), 4, 2, (_r, c) => [c < 2 ? 0 : 100, 0, 0]);
    expect(() => loadImageFolders(root)).toThrow(DataShapeError);
    expect(() => loadImageFolders(root)).toThrow(/test images are 4x2 but training images are 2x2/);
    const resized = loadImageFolders(root, { height: 1, width: 2 });
    expect(Array.from(resized.test.labels)).toEqual([0]);
    // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block: R 0 and 100
    expect(Array.from(resized.test.images)).toEqual([0, 0, 0, 100, 0, 0]);
    writePng(join(root, 'train', 'cat', 'e.png'), 3, 3, () => [1, 2, 3]);
    expect(() => loadImageFolders(root)).toThrow(/e.png is 3x3 \(width x height\) but the first image is 2x2/);
    writePng(join(root, 'test', 'bird', 'f.png'), 2, 2, () => [1, 2, 3]);
    expect(() => loadImageFolders(root, { height: 2, width: 2 })).toThrow(/class 'bird' has no folder under train/);
  });
});
