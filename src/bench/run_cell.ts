import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { version } from '../../package.json';
import { ATTACK_FILE, loadAttack } from '../attacks/attack_file';
import { defenderSplit } from '../data/defender_split';
import { cleanSet } from '../defenses/defense';
import { ConfigError } from '../errors';
import { getDefense } from '../defenses/registry';
import { loadModel } from '../io/file_handler';
import { der } from '../metrics/der';
import { evaluate } from '../metrics/evaluate';
import { retuneAttack } from '../metrics/retune_attack';
import type { BenchData } from './bench_data';
import { cleanModelConfig, type Cell } from './cell';
import { cachedModel } from './model_cache';
import type { CellMetrics, CellRecord } from './record';

/** What a process running cells shares between them. */
export interface CellEnv {
  /** The bench output directory: models are cached in OUT/models. */
  out: string;
  data: BenchData;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
}

/**
 * Runs one cell and returns its record (the caller writes it). The row's attacked model (and, for a reference cell,
 * the clean-trained one) comes from the model cache, trained there first if missing. The defender's clean set is
 * `tsbd purify`'s draw of `round(cleanFraction × trainSize)` images with the row's seed: the first images of the
 * attacker's own shuffle, in clean form. Each retuning attack draws its K poisoned images from the rest of the
 * training split, seeded by the row's seed, as `tsbd eval --retune K` does.
 */
export async function runCell(cell: Cell, env: CellEnv): Promise<CellRecord> {
  const start = performance.now();
  const { row, cleanFraction } = cell.config;
  const { train, test } = env.data.get(row.dataset, row.testSize);
  const models = join(env.out, 'models');
  const attacked = await cachedModel(models, row, env.data, env.log);
  const attack = loadAttack(join(attacked.dir, ATTACK_FILE));
  const cleanCount = Math.round(cleanFraction * Math.min(row.trainSize, train.count));
  const { clean, rest } = defenderSplit(train, cleanCount / train.count, row.seed);
  const seconds = { train: attacked.meta.trainSeconds, defense: 0, evaluate: 0, retune: 0, total: 0 };
  const timed = async <T>(phase: 'defense' | 'evaluate' | 'retune', f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await f();
    seconds[phase] += (performance.now() - t) / 1000;
    return r;
  };
  const retuneAll = async (model: tfl.LayersModel): Promise<CellRecord['retune']> => {
    const out: CellRecord['retune'] = [];
    for (const k of cell.config.retune) {
      out.push(await timed('retune', () => retuneAttack(model, { clean, poisonPool: rest, attack, k, test, seed: row.seed })));
    }
    return out;
  };
  const base = { hash: cell.hash, config: cell.config, version, backend: tf.getBackend(), seeds: { model: row.seed, defense: row.seed, retune: row.seed }, cleanCount };

  if (cell.config.kind === 'reference') {
    const reference = await cachedModel(models, cleanModelConfig(row), env.data, env.log);
    seconds.train += reference.meta.trainSeconds;
    const model = await loadModel(reference.dir);
    try {
      const before = await timed('evaluate', () => evaluate(model, test, attack));
      const retune = await retuneAll(model);
      seconds.total = (performance.now() - start) / 1000;
      return { ...base, before, after: null, der: null, retune, chose: null, seconds };
    } finally {
      model.dispose();
    }
  }

  if (cell.config.defense === null) throw new ConfigError(`cell ${cell.hash}: a defense cell names no defense`, { hash: cell.hash });
  const { name, options } = cell.config.defense;
  const model = await loadModel(attacked.dir);
  try {
    const before = attacked.meta.metrics as CellMetrics;
    const { model: purified, report } = await timed('defense', () => getDefense(name).run(model, cleanSet(clean), options, { seed: row.seed }));
    try {
      const after = await timed('evaluate', () => evaluate(purified, test, attack));
      const retune = await retuneAll(purified);
      seconds.total = (performance.now() - start) / 1000;
      return { ...base, before, after, der: der(before, after), retune, chose: { ...report.chose }, seconds };
    } finally {
      purified.dispose();
    }
  } finally {
    model.dispose();
  }
}
