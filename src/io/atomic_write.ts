import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

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
 * Writes `data` to `path` atomically: into a temporary file in the same directory (same filesystem), fsync'ed,
 * then renamed over `path`. Readers see the old file or the complete new one, never a partial one, even if the
 * process dies mid-write; on failure the temporary file is removed. The directory must exist.
 * Strings are written as UTF-8.
 * @throws IoError naming `path` when the write or the rename fails.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let offset = 0;
    while (offset < bytes.byteLength) offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    fs.rmSync(tmp, { force: true });
    throw new IoError(`could not write ${path}: ${(err as Error).message}`, { path, op: 'write' });
  }
  fsyncDirSync(dirname(path));
}
