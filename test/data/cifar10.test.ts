import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_RECORD_BYTES, loadCifar10 } from '../../src/data/cifar10';
import { DataShapeError, IoError } from '../../src/errors';

/** One CIFAR-10 record written by hand: label, then the R, G, B planes; plane k of record `id` holds 10*id + k + 1 everywhere except pixel 33 (row 1, col 1), which holds 200 + k. */
function record(label: number, id: number): Uint8Array {
  const rec = new Uint8Array(CIFAR10_RECORD_BYTES);
  rec[0] = label;
  for (let k = 0; k < 3; k++) {
    rec.fill(10 * id + k + 1, 1 + k * 1024, 1 + (k + 1) * 1024);
    rec[1 + k * 1024 + 33] = 200 + k;
  }
  return rec;
}

describe('loadCifar10', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tsbd-cifar-'));
    dir = join(root, 'cifar-10-batches-bin');
    mkdirSync(dir);
    // batch 1 holds two records (labels 3, 9), batches 2..5 one each (labels 0..3), the test batch one (label 7)
    writeFileSync(join(dir, 'data_batch_1.bin'), Buffer.concat([record(3, 0), record(9, 1)]));
    for (let b = 2; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), record(b - 2, b));
    writeFileSync(join(dir, 'test_batch.bin'), record(7, 9));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads the batches in order into NHWC RGB images (from the folder or the one above it)', () => {
    for (const d of [dir, root]) {
      const { train, test } = loadCifar10(d);
      expect([train.count, train.height, train.width, train.channels, train.numClasses]).toEqual([6, 32, 32, 3, 10]);
      expect(Array.from(train.labels)).toEqual([3, 9, 0, 1, 2, 3]);
      expect(Array.from(test.labels)).toEqual([7]);
      const per = 32 * 32 * 3;
      // image 1 (record id 1): pixel 0 is (11, 12, 13); pixel (1, 1) is (200, 201, 202)
      expect(Array.from(train.images.subarray(per, per + 3))).toEqual([11, 12, 13]);
      expect(Array.from(train.images.subarray(per + 33 * 3, per + 33 * 3 + 3))).toEqual([200, 201, 202]);
      expect(Array.from(train.images.subarray(per + 34 * 3, per + 34 * 3 + 3))).toEqual([11, 12, 13]);
      expect(Array.from(test.images.subarray(0, 3))).toEqual([91, 92, 93]);
    }
  });

  it('names a missing batch, a truncated file and a label above 9', () => {
    rmSync(join(dir, 'data_batch_4.bin'));
    expect(() => loadCifar10(dir)).toThrow(IoError);
    expect(() => loadCifar10(dir)).toThrow(/data_batch_4.bin/);
    writeFileSync(join(dir, 'data_batch_4.bin'), record(0, 0).subarray(0, 3000));
    expect(() => loadCifar10(dir)).toThrow(/3000 bytes is not a whole number of 3073-byte CIFAR-10 records/);
    writeFileSync(join(dir, 'data_batch_4.bin'), record(12, 0));
    expect(() => loadCifar10(dir)).toThrow(DataShapeError);
    expect(() => loadCifar10(dir)).toThrow(/record 0 has label 12, expected 0..9/);
    expect(() => loadCifar10(join(root, 'nothing'))).toThrow(/no CIFAR-10 binary batches/);
  });
});
