import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFashionMnist } from '../../src/data/fashion_mnist';
import { writeIdx } from '../../src/data/idx';
import { IoError } from '../../src/errors';

describe('Fashion-MNIST', () => {
  it('the committed subset holds 8,000 + 2,000 class-balanced 28x28 images', () => {
    const { train, test, source } = loadFashionMnist('subset');
    expect(source).toBe('fashion-mnist-subset');
    expect([train.count, test.count, train.height, train.width, train.channels]).toEqual([8000, 2000, 28, 28, 1]);
    const perClass = (labels: Uint8Array): number[] => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels) c[l] = (c[l] as number) + 1;
      return c;
    };
    expect(perClass(train.labels)).toEqual(new Array(10).fill(800));
    expect(perClass(test.labels)).toEqual(new Array(10).fill(200));
  });

  describe('other sources', () => {
    let dir: string;
    const saved = process.env['TSBD_DATA'];
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tsbd-fm-'));
      // a tiny stand-in: 3 train + 2 test images of 2x2, raw (train) and gzipped (test) file names mixed
      writeIdx(join(dir, 'train-images-idx3-ubyte'), [3, 2, 2], new Uint8Array(12).fill(9));
      writeIdx(join(dir, 'train-labels-idx1-ubyte'), [3], Uint8Array.from([0, 5, 9]));
      writeIdx(join(dir, 't10k-images-idx3-ubyte.gz'), [2, 2, 2], new Uint8Array(8), { gzip: true });
      writeIdx(join(dir, 't10k-labels-idx1-ubyte.gz'), [2], Uint8Array.from([1, 2]), { gzip: true });
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
      if (saved === undefined) delete process.env['TSBD_DATA'];
      else process.env['TSBD_DATA'] = saved;
    });

    it('reads any directory holding the four files, raw or .gz', () => {
      const { train, test, source } = loadFashionMnist(dir);
      expect(source).toBe(dir);
      expect([train.count, train.height, test.count, train.numClasses]).toEqual([3, 2, 2, 10]);
      expect(Array.from(test.labels)).toEqual([1, 2]);
    });

    it("'full' and 'auto' read $TSBD_DATA; 'auto' falls back to the subset when it lacks the files", () => {
      process.env['TSBD_DATA'] = dir;
      expect(loadFashionMnist('full').train.count).toBe(3);
      expect(loadFashionMnist('auto').source).toBe(`fashion-mnist (full, ${dir})`);
      process.env['TSBD_DATA'] = join(dir, 'empty');
      expect(() => loadFashionMnist('full')).toThrow(IoError);
      expect(loadFashionMnist('auto').source).toBe('fashion-mnist-subset');
    });
  });

  it('a directory without the IDX files is an IoError listing the paths tried', () => {
    expect(() => loadFashionMnist('/nonexistent-dir')).toThrow(IoError);
    expect(() => loadFashionMnist('/nonexistent-dir')).toThrow(/tried: \/nonexistent-dir\/train-images-idx3-ubyte.gz/);
  });
});
