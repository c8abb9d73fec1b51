import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { IoError } from '../../src/errors';
import { writeFileAtomic } from '../../src/node';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'tsbd-atomic-test-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes a string as UTF-8 and bytes as they are, leaving only the target', () => {
    writeFileAtomic(join(dir, 'a.json'), '{"ü": 1}\n');
    writeFileAtomic(join(dir, 'b.bin'), new Uint8Array([0, 255, 7]));
    expect(fs.readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"ü": 1}\n');
    expect(Array.from(fs.readFileSync(join(dir, 'b.bin')))).toEqual([0, 255, 7]);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.json', 'b.bin']);
  });

  it('replaces an existing file', () => {
    writeFileAtomic(join(dir, 'r.json'), 'old');
    writeFileAtomic(join(dir, 'r.json'), 'new');
    expect(fs.readFileSync(join(dir, 'r.json'), 'utf8')).toBe('new');
    expect(fs.readdirSync(dir)).toEqual(['r.json']);
  });

  it('a failed rename keeps the old content and removes the temp file', () => {
    writeFileAtomic(join(dir, 'r.json'), 'old');
    jest.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw new Error('EIO: i/o error');
    });
    expect(() => writeFileAtomic(join(dir, 'r.json'), 'new')).toThrow(IoError);
    expect(() => writeFileAtomic(join(dir, 'r.json'), 'new')).toThrow(`could not write ${join(dir, 'r.json')}: EIO: i/o error`);
    expect(fs.readFileSync(join(dir, 'r.json'), 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['r.json']);
  });

  it('a missing directory is an IoError naming the path', () => {
    const path = join(dir, 'missing', 'x.json');
    expect(() => writeFileAtomic(path, 'x')).toThrow(`could not write ${path}`);
  });

  it('a new file gets 0o666 less the umask; a replaced file keeps its mode', () => {
    const old = process.umask(0o027);
    try {
      writeFileAtomic(join(dir, 'n.json'), 'x');
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(join(dir, 'n.json')).mode & 0o777).toBe(0o640);
    fs.chmodSync(join(dir, 'n.json'), 0o600);
    writeFileAtomic(join(dir, 'n.json'), 'y');
    expect(fs.statSync(join(dir, 'n.json')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(join(dir, 'n.json'), 'utf8')).toBe('y');
  });

  it('writes a byte view at its offset, not its whole buffer', () => {
    const whole = new Uint8Array([9, 1, 2, 3, 9]);
    writeFileAtomic(join(dir, 'v.bin'), whole.subarray(1, 4));
    expect(Array.from(fs.readFileSync(join(dir, 'v.bin')))).toEqual([1, 2, 3]);
  });
});
