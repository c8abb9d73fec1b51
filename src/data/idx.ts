import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataShapeError, IoError } from '../errors';
import { writeFileAtomic } from '../io/atomic_write';
import type { ImageSet } from './image_set';

/**
 * Reads an IDX file (the MNIST container: 2 zero bytes, a type byte, a rank byte, big-endian uint32 dims, then the
 * data), raw or gzip-compressed (recognised by its 0x1f 0x8b magic). Only unsigned-byte data (type 0x08) is read.
 */
export function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  if (!existsSync(path)) throw new IoError(`IDX file not found: ${path}`, { path });
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataShapeError(`${path}: gzip data is corrupt (${(e as Error).message})`, { path });
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    const head = Array.from(bytes.subarray(0, 4), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    throw new DataShapeError(`${path}: not an unsigned-byte IDX file (magic 0x00 0x00 0x08 <rank> expected, found ${head || 'nothing'})`, { path });
  }
  const rank = bytes[3] as number;
  const headerLength = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerLength) {
    throw new DataShapeError(`${path}: IDX header of rank ${rank} is truncated or empty`, { path, rank });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerLength;
  if (have !== expected) {
    throw new DataShapeError(`${path}: IDX dims ${dims.join('x')} need ${expected} data bytes, file has ${have}`, { path, dims, have });
  }
  // A copy into a plain Uint8Array: `bytes` may be a Node Buffer, whose slice() is a VIEW, and a view would let
  // later `.slice()` "copies" (e.g. BadNets.poison) write through into the caller's data.
  return { dims, data: new Uint8Array(bytes.subarray(headerLength)) };
}

/** Writes unsigned-byte data as an IDX file (gzipped when asked), atomically: temp file, then rename. */
export function writeIdx(path: string, dims: number[], data: Uint8Array, opts: { gzip?: boolean } = {}): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new DataShapeError(`writeIdx: dims ${dims.join('x')} need ${expected} bytes, received ${data.length}`, { dims });
  }
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  writeFileAtomic(path, opts.gzip === true ? new Uint8Array(gzipSync(out, { level: 9 })) : out);
}

/** Reads an images file [n, h, w] (or [n, h, w, c]) and a labels file [n] into an ImageSet. */
export function readIdxImageSet(imagesPath: string, labelsPath: string, numClasses = 10): ImageSet {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const [n, h, w, c] = images.dims;
  if (n === undefined || h === undefined || w === undefined || images.dims.length > 4 || images.dims.length < 3) {
    throw new DataShapeError(`${imagesPath}: images must have dims [n, h, w] or [n, h, w, c], found ${images.dims.join('x')}`, { path: imagesPath });
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new DataShapeError(`${labelsPath}: ${labels.dims.join('x')} labels for ${n} images`, { path: labelsPath });
  }
  return { images: images.data, labels: labels.data, count: n, height: h, width: w, channels: c ?? 1, numClasses };
}
