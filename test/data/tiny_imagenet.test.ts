import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTinyImagenet } from '../../src/data/tiny_imagenet';
import { DataShapeError, IoError } from '../../src/errors';
import { writeJpeg } from '../helpers/image_files';

const flat = (rgb: [number, number, number]) => (): [number, number, number] => rgb;

/** Every pixel of image `i` of `set` is within the JPEG loss (4 levels) of `want`. */
function expectFlat(set: { images: Uint8Array; height: number; width: number }, i: number, want: number[]): void {
  const per = set.height * set.width * 3;
  const px = set.images.subarray(i * per, (i + 1) * per);
  for (let p = 0; p < px.length; p++) expect(Math.abs((px[p] as number) - (want[p % 3] as number))).toBeLessThanOrEqual(4);
}

describe('loadTinyImagenet', () => {
  let root: string;
  let tiny: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tsbd-tiny-'));
    tiny = join(root, 'tiny-imagenet-200');
    // wnids.txt out of order: classes are numbered in sorted order, n01443537 = 0, n09999999 = 1
    writeJpeg(join(tiny, 'train', 'n09999999', 'images', 'n09999999_0.JPEG'), 16, 16, flat([200, 40, 40]));
    writeJpeg(join(tiny, 'train', 'n01443537', 'images', 'n01443537_1.JPEG'), 16, 16, flat([40, 200, 40]));
    writeJpeg(join(tiny, 'train', 'n01443537', 'images', 'n01443537_0.JPEG'), 16, 16, flat([40, 40, 200]));
    writeFileSync(join(tiny, 'train', 'n01443537', 'n01443537_boxes.txt'), 'n01443537_0.JPEG\t0\t0\t15\t15\n');
    writeFileSync(join(tiny, 'wnids.txt'), 'n09999999\nn01443537\n');
    writeJpeg(join(tiny, 'val', 'images', 'val_0.JPEG'), 16, 16, flat([120, 120, 20]));
    writeJpeg(join(tiny, 'val', 'images', 'val_1.JPEG'), 16, 16, flat([20, 120, 120]));
    writeFileSync(join(tiny, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn09999999\t0\t0\t15\t15\nval_1.JPEG\tn01443537\t1\t2\t14\t13\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('numbers the wnids in sorted order, reads train/<wnid>/images in name order and labels val by its annotations', () => {
    const { train, test } = loadTinyImagenet(root);
    expect([train.count, train.height, train.width, train.channels, train.numClasses]).toEqual([3, 16, 16, 3, 2]);
    expect(Array.from(train.labels)).toEqual([0, 0, 1]);
    expectFlat(train, 0, [40, 40, 200]); // n01443537_0 before n01443537_1
    expectFlat(train, 1, [40, 200, 40]);
    expectFlat(train, 2, [200, 40, 40]);
    expect(Array.from(test.labels)).toEqual([1, 0]);
    expectFlat(test, 0, [120, 120, 20]);
    const small = loadTinyImagenet(tiny, { height: 8, width: 8 });
    expect([small.train.height, small.test.width]).toEqual([8, 8]);
    expectFlat(small.test, 1, [20, 120, 120]);
  });

  it('names an unknown wnid in the annotations, a missing val image and a missing class folder', () => {
    writeFileSync(join(tiny, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn00000000\t0\t0\t15\t15\n');
    expect(() => loadTinyImagenet(tiny)).toThrow(DataShapeError);
    expect(() => loadTinyImagenet(tiny)).toThrow(/line 1 names no file or a wnid not in wnids.txt/);
    writeFileSync(join(tiny, 'val', 'val_annotations.txt'), 'val_9.JPEG\tn01443537\t0\t0\t15\t15\n');
    expect(() => loadTinyImagenet(tiny)).toThrow(/lists val_9.JPEG/);
    writeFileSync(join(tiny, 'wnids.txt'), 'n09999999\nn01443537\nn02000000\n');
    expect(() => loadTinyImagenet(tiny)).toThrow(IoError);
    expect(() => loadTinyImagenet(tiny)).toThrow(/class n02000000 .* has no folder/);
  });
});
