import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DataShapeError, IoError } from '../errors';
import type { ImageSet } from './image_set';

/** Side of a CIFAR-10 image, pixels. */
const SIDE = 32;
/** One record: a label byte, then 1024 red, 1024 green and 1024 blue bytes (each plane row-major). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * SIDE * SIDE;
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILE = 'test_batch.bin';

/** The directory that holds the CIFAR-10 batches: `dir` itself or its `cifar-10-batches-bin` folder, if either does. */
export function findCifar10Dir(dir: string): string | undefined {
  for (const d of [dir, join(dir, 'cifar-10-batches-bin')]) if (existsSync(join(d, TEST_FILE)) && existsSync(join(d, 'data_batch_1.bin'))) return d;
  return undefined;
}

/** Reads the records of `files` into one NHWC ImageSet (the planes interleaved into RGB pixels). */
function readBatches(dir: string, files: string[]): ImageSet {
  const parts = files.map((f) => {
    const path = join(dir, f);
    if (!existsSync(path)) throw new IoError(`CIFAR-10 batch file not found: ${path}`, { path });
    const bytes = readFileSync(path);
    if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
      throw new DataShapeError(`${path}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records`, {
        path,
        bytes: bytes.length,
      });
    }
    return { path, bytes };
  });
  const count = parts.reduce((s, p) => s + p.bytes.length / CIFAR10_RECORD_BYTES, 0);
  const plane = SIDE * SIDE;
  const images = new Uint8Array(count * 3 * plane);
  const labels = new Uint8Array(count);
  let i = 0;
  for (const { path, bytes } of parts) {
    for (let off = 0; off < bytes.length; off += CIFAR10_RECORD_BYTES, i++) {
      const label = bytes[off] as number;
      if (label > 9) throw new DataShapeError(`${path}: record ${off / CIFAR10_RECORD_BYTES} has label ${label}, expected 0..9`, { path, label });
      labels[i] = label;
      const base = i * 3 * plane;
      for (let p = 0; p < plane; p++) {
        images[base + 3 * p] = bytes[off + 1 + p] as number;
        images[base + 3 * p + 1] = bytes[off + 1 + plane + p] as number;
        images[base + 3 * p + 2] = bytes[off + 1 + 2 * plane + p] as number;
      }
    }
  }
  return { images, labels, count, height: SIDE, width: SIDE, channels: 3, numClasses: 10 };
}

/**
 * Loads the binary CIFAR-10 release (cifar-10-batches-bin): train = data_batch_1..5.bin in order, test =
 * test_batch.bin. Each file is a sequence of 3073-byte records: the label (0..9), then the 32x32 red, green and
 * blue planes. `dir` is that folder or the one above it.
 * @throws IoError when a batch file is missing; DataShapeError for a truncated file or a label above 9.
 */
export function loadCifar10(dir: string): { train: ImageSet; test: ImageSet } {
  const found = findCifar10Dir(dir);
  if (found === undefined) {
    throw new IoError(`no CIFAR-10 binary batches in ${dir} or ${join(dir, 'cifar-10-batches-bin')} (want data_batch_1.bin .. test_batch.bin)`, { path: dir });
  }
  return { train: readBatches(found, TRAIN_FILES), test: readBatches(found, [TEST_FILE]) };
}
