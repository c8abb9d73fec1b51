import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readIdx, readIdxImageSet, writeIdx } from '../../src/data/idx';
import { DataShapeError, IoError } from '../../src/errors';

describe('IDX files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tsbd-idx-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // magic 00 00 08 (unsigned byte) 02 (rank), dims 2 and 3 big-endian, then 6 data bytes.
  const bytes = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);

  it('reads a raw file written by hand', () => {
    writeFileSync(join(dir, 'a'), bytes);
    expect(readIdx(join(dir, 'a'))).toEqual({ dims: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
  });

  it('reads the same file gzipped', () => {
    writeFileSync(join(dir, 'a.gz'), gzipSync(bytes));
    expect(readIdx(join(dir, 'a.gz')).dims).toEqual([2, 3]);
  });

  it('writes exactly those header bytes', () => {
    writeIdx(join(dir, 'w'), [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    expect(Uint8Array.from(readFileSync(join(dir, 'w')))).toEqual(bytes);
    writeIdx(join(dir, 'w.gz'), [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]), { gzip: true });
    const gz = readFileSync(join(dir, 'w.gz'));
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]); // the gzip magic
    expect(Uint8Array.from(gunzipSync(gz))).toEqual(bytes); // and inside, the same hand-written bytes
    expect(readIdx(join(dir, 'w.gz'))).toEqual({ dims: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
  });

  it('names a bad magic, a truncated file and a missing file', () => {
    writeFileSync(join(dir, 'f'), Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
    expect(() => readIdx(join(dir, 'f'))).toThrow(/not an unsigned-byte IDX file \(magic 0x00 0x00 0x08 <rank> expected, found 0x00 0x00 0x0d 0x01\)/);
    writeFileSync(join(dir, 't'), bytes.subarray(0, 15));
    expect(() => readIdx(join(dir, 't'))).toThrow(/IDX dims 2x3 need 6 data bytes, file has 3/);
    expect(() => readIdx(join(dir, 't'))).toThrow(DataShapeError);
    writeFileSync(join(dir, 't.gz'), gzipSync(bytes.subarray(0, 15)));
    expect(() => readIdx(join(dir, 't.gz'))).toThrow(/IDX dims 2x3 need 6 data bytes, file has 3/);
    writeFileSync(join(dir, 'h'), bytes.subarray(0, 9)); // rank 2 needs 12 header bytes
    expect(() => readIdx(join(dir, 'h'))).toThrow(/header of rank 2 is truncated/);
    expect(() => readIdx(join(dir, 'nope'))).toThrow(IoError);
  });

  it('pairs images and labels into an ImageSet, checking the counts agree', () => {
    writeIdx(join(dir, 'i'), [2, 1, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    writeIdx(join(dir, 'l'), [2], Uint8Array.from([0, 9]));
    const set = readIdxImageSet(join(dir, 'i'), join(dir, 'l'));
    expect([set.count, set.height, set.width, set.channels, set.numClasses]).toEqual([2, 1, 3, 1, 10]);
    writeIdx(join(dir, 'l3'), [3], Uint8Array.from([0, 1, 2]));
    expect(() => readIdxImageSet(join(dir, 'i'), join(dir, 'l3'))).toThrow(/3 labels for 2 images/);
  });
});
