import * as fs from 'node:fs';
import { dirname } from 'node:path';

import writeFileAtomicLib from 'write-file-atomic';

import { IoError } from '../errors';

/** fsync a directory so a rename in it survives a crash; some platforms cannot open directories, which is fine. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort: Windows refuses to open or fsync a directory.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `data` to `path` atomically, with npm's `write-file-atomic`: into a temporary file beside `path` (same
 * filesystem), fsync'ed, then renamed over it. Readers see the old file or the complete new one, never a partial
 * one, even if the process dies mid-write; on failure the temporary file is removed. The directory is then
 * fsync'ed too, so that the rename itself survives a crash. The directory must exist.
 *
 * Modes: a new file gets 0o666 less the process umask (as `fs.writeFileSync`); a replaced file keeps its mode and
 * owner. Strings are written as UTF-8.
 * @throws IoError naming `path` when the write or the rename fails.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomicLib.sync(path, typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      encoding: 'utf8',
    });
  } catch (err) {
    throw new IoError(`could not write ${path}: ${(err as Error).message}`, { path, op: 'write' });
  }
  fsyncDirSync(dirname(path));
}
