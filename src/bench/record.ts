import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IoError } from '../errors';
import { fsyncDirSync } from '../io/atomic_write';
import type { CellConfig } from './cell';

/** ACC on the clean test images; ASR and RA on the stamped non-target ones (fractions in [0, 1]). */
export interface CellMetrics {
  acc: number;
  asr: number;
  ra: number;
}

/** One cell's result, as written to DIR/records/<hash>.json. */
export interface CellRecord {
  hash: string;
  config: CellConfig;
  /** tfjs-tsbd's version and the tfjs backend the cell ran on. */
  version: string;
  backend: string;
  /** Seeds of the model's training (and the attack), the defense and the retuning attacks. */
  seeds: { model: number; defense: number; retune: number };
  /** Images in the defender's clean set. */
  cleanCount: number;
  /** The model as given: the attacked model ('defense'), or the clean-trained one ('reference'). */
  before: CellMetrics;
  /** The purified model; null for a reference cell. */
  after: CellMetrics | null;
  /** BackdoorBench's DER of before -> after (0.5 = no change); null for a reference cell. */
  der: number | null;
  /** ACC and ASR after each retuning attack of the purified (or the clean-trained) model. */
  retune: { k: number; acc: number; asr: number }[];
  /** What the defense chose (its report's `chose`, e.g. TSBD's `fraction`); null for a reference cell. */
  chose: Record<string, unknown> | null;
  /**
   * Wall seconds: `train`, the training of the model(s) this cell used, as measured when they were trained (shared
   * with the other cells of the row); `defense`, `evaluate` and `retune`, this cell's phases; `total`, this cell.
   */
  seconds: { train: number; defense: number; evaluate: number; retune: number; total: number };
}

/** The record directory under a bench output directory. */
export function recordsDir(out: string): string {
  return join(out, 'records');
}

/** Whether the cell `hash` has a record under `out`. */
export function hasRecord(out: string, hash: string): boolean {
  return existsSync(join(recordsDir(out), `${hash}.json`));
}

/**
 * Writes the record to DIR/records/<hash>.json once: the JSON goes to a temporary file (fsync'ed), which is then
 * hard-linked to the final name. The link fails when the name exists, so of two writers of the same cell exactly
 * one wins, and a reader never sees a partial record. Returns false when the record existed already.
 * @throws IoError when the write fails.
 */
export function writeRecordOnce(out: string, record: CellRecord): boolean {
  const dir = recordsDir(out);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${record.hash}.json`);
  const tmp = join(dir, `.${record.hash}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
    fsyncDirSync(dir);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return false;
    throw new IoError(`could not write ${path}: ${(e as Error).message}`, { path, op: 'write' });
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Every record under `out` (DIR/records/*.json), sorted by hash. */
export function readRecords(out: string): CellRecord[] {
  const dir = recordsDir(out);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort()
    .map((f) => {
      try {
        return JSON.parse(readFileSync(join(dir, f), 'utf8')) as CellRecord;
      } catch (e) {
        throw new IoError(`cannot read record ${join(dir, f)}: ${(e as Error).message}`, { path: join(dir, f) });
      }
    });
}
