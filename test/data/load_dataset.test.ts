import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_RECORD_BYTES } from '../../src/data/cifar10';
import { writeIdx } from '../../src/data/idx';
import { detectFormat, loadDataset } from '../../src/data/load_dataset';
import { ConfigError, IoError } from '../../src/errors';
import { writePng, writePpm } from '../helpers/image_files';

describe('loadDataset', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tsbd-load-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function makeIdx(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeIdx(join(dir, 'train-images-idx3-ubyte'), [1, 2, 2], Uint8Array.from([1, 2, 3, 4]));
    writeIdx(join(dir, 'train-labels-idx1-ubyte'), [1], Uint8Array.from([5]));
    writeIdx(join(dir, 't10k-images-idx3-ubyte'), [1, 2, 2], Uint8Array.from([4, 3, 2, 1]), { gzip: true });
    writeIdx(join(dir, 't10k-labels-idx1-ubyte'), [1], Uint8Array.from([6]));
  }
  function makeCifar(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const rec = new Uint8Array(CIFAR10_RECORD_BYTES);
    for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) writeFileSync(join(dir, `${f}.bin`), rec);
  }
  function makeGtsrb(dir: string): void {
    const img = join(dir, 'Final_Training', 'Images', '00001');
    writePpm(join(img, 'a.ppm'), 6, 6, () => [1, 2, 3]);
    writeFileSync(join(img, 'GT-00001.csv'), 'Filename;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\na.ppm;1;1;5;5;1\n');
    const test = join(dir, 'Final_Test', 'Images');
    writePpm(join(test, 'b.ppm'), 6, 6, () => [1, 2, 3]);
    writeFileSync(join(test, 'GT-final_test.csv'), 'Filename;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\nb.ppm;1;1;5;5;2\n');
  }
  function makeTiny(dir: string): void {
    writePng(join(dir, 'train', 'n1', 'images', 'a.JPEG.png'), 2, 2, () => [0, 0, 0]); // no .JPEG: not read
    writeFileSync(join(dir, 'wnids.txt'), 'n1\nn2\n');
    mkdirSync(join(dir, 'val'), { recursive: true });
    writeFileSync(join(dir, 'val', 'val_annotations.txt'), '');
  }
  function makeFolders(dir: string): void {
    writePng(join(dir, 'train', 'a', 'x.png'), 2, 2, () => [7, 8, 9]);
    writePng(join(dir, 'train', 'b', 'y.png'), 2, 2, () => [9, 8, 7]);
    writePng(join(dir, 'test', 'b', 'z.png'), 2, 2, () => [9, 8, 7]);
  }

  it('detects each layout, also one folder up for CIFAR-10, GTSRB and Tiny-ImageNet', () => {
    makeIdx(join(root, 'idx'));
    makeCifar(join(root, 'cifar', 'cifar-10-batches-bin'));
    makeGtsrb(join(root, 'gtsrb', 'GTSRB'));
    makeTiny(join(root, 'tiny', 'tiny-imagenet-200'));
    makeFolders(join(root, 'folders'));
    expect(detectFormat(join(root, 'idx'))).toBe('idx');
    expect(detectFormat(join(root, 'cifar'))).toBe('cifar10');
    expect(detectFormat(join(root, 'cifar', 'cifar-10-batches-bin'))).toBe('cifar10');
    expect(detectFormat(join(root, 'gtsrb'))).toBe('gtsrb');
    expect(detectFormat(join(root, 'tiny'))).toBe('tiny-imagenet');
    expect(detectFormat(join(root, 'tiny', 'tiny-imagenet-200'))).toBe('tiny-imagenet'); // not image-folders
    expect(detectFormat(join(root, 'folders'))).toBe('image-folders');
    expect(detectFormat(root)).toBeUndefined();
  });

  it('loads the detected or the named format, with its image size', () => {
    makeIdx(join(root, 'idx'));
    makeGtsrb(join(root, 'gtsrb'));
    makeFolders(join(root, 'folders'));
    const idx = loadDataset(join(root, 'idx'));
    expect([idx.format, idx.train.channels, Array.from(idx.test.images)]).toEqual(['idx', 1, [4, 3, 2, 1]]);
    const g = loadDataset(join(root, 'gtsrb'), { format: 'gtsrb', imageSize: { height: 3, width: 5 } });
    expect([g.format, g.train.height, g.train.width, g.train.labels[0], g.test.labels[0]]).toEqual(['gtsrb', 3, 5, 1, 2]);
    expect(Array.from(g.train.images.subarray(0, 3))).toEqual([1, 2, 3]);
    const f = loadDataset(join(root, 'folders'), { format: 'auto' });
    expect([f.format, f.train.numClasses, f.source]).toEqual(['image-folders', 2, `image-folders ${join(root, 'folders')}`]);
  });

  it('names an undetectable folder, a wrong named format, an unknown format and a size the format cannot take', () => {
    makeFolders(join(root, 'folders'));
    makeIdx(join(root, 'idx'));
    expect(() => loadDataset(root)).toThrow(IoError);
    expect(() => loadDataset(root)).toThrow(/cannot tell the data format of/);
    expect(() => loadDataset(join(root, 'nope'))).toThrow(/data directory not found/);
    expect(() => loadDataset(join(root, 'folders'), { format: 'cifar10' })).toThrow(/no CIFAR-10 binary batches/);
    expect(() => loadDataset(join(root, 'folders'), { format: 'png' as never })).toThrow(ConfigError);
    expect(() => loadDataset(join(root, 'idx'), { imageSize: { height: 32, width: 32 } })).toThrow(/an image size applies to gtsrb, tiny-imagenet and image-folders data, not idx/);
    expect(() => loadDataset(join(root, 'folders'), { imageSize: { height: 0, width: 32 } })).toThrow(/imageSize must be positive integers/);
  });
});
