import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Attack } from '../attacks/attack';
import { saveAttack } from '../attacks/attack_file';
import { createAttack } from '../attacks/registry';
import { writeFileAtomic } from '../io/atomic_write';
import { saveModel } from '../io/file_handler';
import { evaluate } from '../metrics/evaluate';
import { trainAttackedModel } from '../training/train_attacked';
import { seededSample } from '../cli/options';
import type { BenchData } from './bench_data';
import { configHash, type ModelConfig } from './cell';

/** What a cached model directory holds besides model.json, weights.bin and (for an attacked model) attack.json. */
export interface ModelMeta {
  config: ModelConfig;
  /** Wall seconds the training took (trigger preparation included), when it was made. */
  trainSeconds: number;
  /** ACC on the test split; ASR and RA of the model's own attack (null for a clean-trained model). */
  metrics: { acc: number; asr: number | null; ra: number | null };
}

const META_FILE = 'meta.json';

/** The grid's attack as the registry makes it for a model config; undefined for a clean-trained model. */
export function attackOf(config: ModelConfig): Attack | undefined {
  if (config.attack === null) return undefined;
  return createAttack({ ...config.attack.options, name: config.attack.name, rate: config.rate, target: config.target, seed: config.seed, mode: 'all-to-one' });
}

/**
 * The directory of the model `config` describes, under `cacheDir`, trained first when it is not there. A model is
 * trained into a temporary directory and renamed into place once complete, so a run killed while training leaves
 * no model behind (only a `.tmp` directory, ignored), and two processes that train the same model at once keep
 * the first one's. Returns the directory and its meta.json.
 */
export async function cachedModel(cacheDir: string, config: ModelConfig, data: BenchData, log: (line: string) => void): Promise<{ dir: string; meta: ModelMeta }> {
  const dir = join(cacheDir, configHash(config));
  if (!existsSync(join(dir, META_FILE))) await trainInto(cacheDir, dir, config, data, log);
  return { dir, meta: JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as ModelMeta };
}

async function trainInto(cacheDir: string, dir: string, config: ModelConfig, data: BenchData, log: (line: string) => void): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const { train, test } = data.get(config.dataset, config.testSize);
  const attack = attackOf(config);
  const start = performance.now();
  const { model } = await trainAttackedModel(seededSample(train, config.trainSize, config.seed), attack, config, log);
  const tmp = join(cacheDir, `.${configHash(config)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const trainSeconds = (performance.now() - start) / 1000;
    const m = await evaluate(model, test, attack);
    await saveModel(model, tmp);
    if (attack !== undefined) saveAttack(tmp, attack, train);
    const meta: ModelMeta = { config, trainSeconds, metrics: attack === undefined ? { acc: m.acc, asr: null, ra: null } : m };
    writeFileAtomic(join(tmp, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another process finished the same model first: keep its copy (equal, as training is seeded).
      if (!existsSync(join(dir, META_FILE))) throw e;
    }
  } finally {
    model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}
