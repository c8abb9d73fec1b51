/**
 * `npm run zoo -- train [--only D1,H2] [--dir DIR]`: trains the foreign-model zoo of issue 10 (bench/zoo_models.ts)
 * on the full Fashion-MNIST training split, the way a user's script would: their own layers, `model.fit` on
 * tensors, their optimizer. Each model is saved to DIR/<id>/ (model.json, weights.bin, attack.json, zoo.json with
 * the recipe and the ACC / ASR / RA it reached on the 10k test split). Models already there are kept.
 *
 * DIR defaults to $TSBD_ZOO_DIR or ~/.cache/tfjs-tsbd/zoo: the models stay out of git; the recipes and seeds are
 * in bench/zoo_models.ts and the figures in bench/results/.
 *
 * Every random draw of a model's training (sample, poisoning, tfjs' initialisers, dropout masks and fit's shuffles)
 * comes from its seed: Math.random is replaced by a seeded generator while it trains, because tfjs draws unseeded
 * initialisers and shuffles from Math.random.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { BadNets, badNets } from '../src/attacks/badnets';
import { buildModel } from '../src/models/registry';
import { trainClassifier } from '../src/training/train_classifier';
import { selectBackend } from '../src/backend';
import { loadFashionMnist } from '../src/node';
import type { ImageSet } from '../src/data/image_set';
import type { Attack } from '../src/attacks/attack';
import { toTensors } from '../src/data/tensors';
import { writeFileAtomic } from '../src/io/atomic_write';
import { loadModel, saveModel } from '../src/io/file_handler';
import { Rng } from '../src/internal/rng';
import { evaluate } from '../src/metrics/evaluate';
import { seededSample } from '../src/cli/options';

import { benchArgs } from './args';
import { analyzeModel, compareUnlearnLr, probeTrajectories } from './zoo_analyze';
import { headRowCoverage } from './zoo_head_rows';
import { loadAttack } from '../src/attacks/attack_file';
import { retuneZoo, runZoo } from './zoo_run';
import { buildZooModel, compileZooModel, ZOO, type ZooSpec } from './zoo_models';

const USAGE =
  'usage: npm run zoo -- train [--only D1,H2] [--dir DIR] [--clean]   (--clean: same recipe, no poison, saved as ID-clean)\n' +
  '       npm run zoo -- analyze --only D1 [--dir DIR] [--clean-fraction 0.05] [--seed 0]   (development models only)\n' +
  '       npm run zoo -- head-rows --only D1,D3,D4 [--model DIR]   (development models, or a model DIR with its attack.json)\n' +
  '       npm run zoo -- unlearn-lr --only D2 [--lrs 0.01,0.001,0.0001] [--max-epochs 300]\n' +
  '       npm run zoo -- trajectories --only D2,demo [--candidates 0,0.2,0.3,0.5] [--epochs 1,2,4,8]   (development models, or the demo\'s)\n' +
  '       npm run zoo -- retune --only H5 [--k 5,20] [--results FILE]   (purified, plain fine-tuned and clean-trained models)\n' +
  '       npm run zoo -- run --only H1,H2 [--dir DIR] [--method tsbd|ft] [--retune 5,20] [--results FILE] [--clean]   (npm run build first; --clean: on ID-clean)';

/** Where the zoo's models are cached: $TSBD_ZOO_DIR, else ~/.cache/tfjs-tsbd/zoo. */
export function zooDir(given?: string): string {
  return given ?? process.env.TSBD_ZOO_DIR ?? join(homedir(), '.cache', 'tfjs-tsbd', 'zoo');
}

/** The specs named by --only (all when absent); an unknown id is an error. */
export function selectSpecs(only: string | undefined): ZooSpec[] {
  if (only === undefined) return [...ZOO];
  const ids = only.split(',').map((s) => s.trim());
  const unknown = ids.filter((id) => !ZOO.some((z) => z.id === id));
  if (unknown.length > 0) throw new Error(`unknown zoo model(s) ${unknown.join(', ')}; known: ${ZOO.map((z) => z.id).join(', ')}`);
  return ZOO.filter((z) => ids.includes(z.id));
}

/** The BadNets attack of a spec (its poisoning draw is seeded by the spec's seed). */
export function zooAttack(spec: ZooSpec): BadNets {
  return new BadNets({ ...spec.attack, seed: spec.seed });
}

/** Runs `fn` with Math.random drawing from a generator seeded by `seed`; restores Math.random after. */
export async function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const saved = Math.random;
  const rng = new Rng(seed);
  Math.random = () => rng.next();
  try {
    return await fn();
  } finally {
    Math.random = saved;
  }
}

async function trainOne(spec: ZooSpec, train: ImageSet, test: ImageSet, dir: string, clean: boolean): Promise<void> {
  const attack = zooAttack(spec);
  const sample = seededSample(train, spec.trainSize, spec.seed);
  // --clean: the same recipe and seed without poison, the reference for the retuning attack.
  const poisoned = clean ? sample : attack.poison(sample).set;
  const start = performance.now();
  const model = await withSeededMathRandom(spec.seed, async () => {
    const m = buildZooModel(spec, [train.height, train.width, train.channels], train.numClasses);
    const optimizer = compileZooModel(m, spec);
    const { x, y } = toTensors(poisoned);
    try {
      await m.fit(x, y, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        validationSplit: spec.validationSplit,
        shuffle: true,
        verbose: 0,
        callbacks: {
          onEpochEnd: async (epoch, logs) => {
            process.stderr.write(`${spec.id} epoch ${epoch + 1}/${spec.epochs}: loss ${logs?.loss?.toFixed(4)} acc ${logs?.acc?.toFixed(4)}\n`);
          },
        },
      });
    } finally {
      x.dispose();
      y.dispose();
      optimizer.dispose();
    }
    return m;
  });
  try {
    const seconds = (performance.now() - start) / 1000;
    const metrics = await evaluate(model, test, attack);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    await saveModel(model, tmp, { force: true });
    writeFileAtomic(join(tmp, 'attack.json'), `${JSON.stringify(attack.config(), null, 2)}\n`);
    const record = { spec, clean, before: metrics, trainSeconds: Math.round(seconds * 10) / 10, backend: tf.getBackend() };
    writeFileAtomic(join(tmp, 'zoo.json'), `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, dir);
    process.stdout.write(`${JSON.stringify({ id: spec.id, ...metrics, trainSeconds: record.trainSeconds })}\n`);
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (!['train', 'analyze', 'head-rows', 'run', 'unlearn-lr', 'retune', 'trajectories'].includes(command ?? '')) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const args = benchArgs(rest, USAGE, { only: 'string', dir: 'string', 'clean-fraction': 'string', seed: 'string', method: 'string', retune: 'string', results: 'string', lrs: 'string', 'max-epochs': 'string', clean: 'boolean', model: 'string', k: 'string', candidates: 'string', epochs: 'string' });
  const root = zooDir(args.string('dir'));
  if (command === 'train' && args.string('only') === 'demo') {
    await selectBackend('auto');
    const clean = args.flag('clean');
    const model = await demoModel(join(root, clean ? 'demo-clean' : 'demo'), loadFashionMnist('subset').train, clean);
    model.dispose();
    return;
  }
  if (command === 'trajectories') {
    await trajectories(root, args.string('only') ?? '', (args.string('candidates') ?? '0,0.2,0.3,0.5').split(',').map(Number), (args.string('epochs') ?? '1,2,4,8').split(',').map(Number));
    return;
  }
  const specs = selectSpecs(args.string('only'));
  if (command === 'retune') {
    const ks = (args.string('k') ?? '5,20').split(',').map(Number);
    const results = args.string('results') ?? join(__dirname, 'results', 'zoo-retune.jsonl');
    retuneZoo(specs, root, ks, results, (s) => process.stderr.write(`${s}\n`));
    return;
  }
  if (command === 'run') {
    const retune = (args.string('retune') ?? '').split(',').filter((k) => k !== '').map(Number);
    const results = args.string('results') ?? join(__dirname, 'results', 'zoo-runs.jsonl');
    mkdirSync(dirname(results), { recursive: true });
    runZoo(specs, root, args.string('method') ?? 'tsbd', retune, results, (s) => process.stderr.write(`${s}\n`), args.flag('clean'));
    return;
  }
  await selectBackend('auto');
  const { train, test } = loadFashionMnist('full');
  if (command === 'unlearn-lr') {
    const lrs = (args.string('lrs') ?? '0.01,0.001,0.0001').split(',').map(Number);
    const clean = seededSample(train, Math.round(0.05 * train.count), 0);
    for (const spec of specs) {
      const model = await loadModel(join(root, spec.id));
      try {
        const result = await compareUnlearnLr(model, clean, lrs, args.positiveInt('max-epochs', 300), (s) => process.stderr.write(`${spec.id} ${s}\n`));
        process.stdout.write(`${JSON.stringify({ id: spec.id, ...result })}\n`);
      } finally {
        model.dispose();
      }
    }
    return;
  }
  if (command === 'head-rows') {
    const clean = seededSample(train, Math.round(0.05 * train.count), 0);
    const given = args.string('model');
    const held = given === undefined ? specs.filter((s) => s.half !== 'dev') : [];
    if (held.length > 0) args.fail(`head-rows looks at triggers and test data: development models only (not ${held.map((s) => s.id).join(', ')})`);
    const targets = given === undefined ? specs.map((s) => ({ id: s.id, dir: join(root, s.id), attack: zooAttack(s) as Attack })) : [{ id: given, dir: given, attack: loadAttack(join(given, 'attack.json')) }];
    for (const t of targets) {
      const model = await loadModel(t.dir);
      try {
        process.stdout.write(`${JSON.stringify({ id: t.id, ...(await headRowCoverage(model, t.attack, clean, test)) })}\n`);
      } finally {
        model.dispose();
      }
    }
    return;
  }
  if (command === 'analyze') {
    const held = specs.filter((s) => s.half !== 'dev');
    if (held.length > 0) args.fail(`analyze looks at triggers and test data: development models only (not ${held.map((s) => s.id).join(', ')})`);
    const fraction = Number(args.string('clean-fraction') ?? '0.05');
    const seed = Number(args.string('seed') ?? '0');
    const clean = seededSample(train, Math.round(fraction * train.count), seed);
    for (const spec of specs) {
      const model = await loadModel(join(root, spec.id));
      try {
        const result = await analyzeModel(model, zooAttack(spec), clean, test, (s) => process.stderr.write(`${spec.id} ${s}\n`));
        process.stdout.write(`${JSON.stringify({ id: spec.id, ...result })}\n`);
      } finally {
        model.dispose();
      }
    }
    return;
  }
  mkdirSync(root, { recursive: true });
  for (const spec of specs) {
    const dir = join(root, args.flag('clean') ? `${spec.id}-clean` : spec.id);
    if (existsSync(join(dir, 'zoo.json'))) {
      process.stderr.write(`${spec.id}: already trained in ${dir}\n`);
      continue;
    }
    await trainOne(spec, train, test, dir, args.flag('clean'));
  }
}

/**
 * Probe trajectories (see probeTrajectories) of development models, or of `demo`: the model `tsbd demo` trains
 * (preact-resnet-s, 10% BadNets on the committed subset, seed 0; trained once and cached in DIR/demo) with the demo's
 * clean draw (800 images, seed 100). Clean data only. One JSON line per candidate on stdout.
 */
async function trajectories(root: string, only: string, candidates: number[], epochs: number[]): Promise<void> {
  await selectBackend('auto');
  for (const id of only.split(',').filter((x) => x !== '')) {
    const demo = id === 'demo';
    if (!demo && selectSpecs(id).some((s) => s.half !== 'dev')) throw new Error(`trajectories: development models or demo only (not ${id})`);
    const { train } = loadFashionMnist(demo ? 'subset' : 'full');
    const clean = demo ? seededSample(train, 800, 100) : seededSample(train, Math.round(0.05 * train.count), 0);
    const model = demo ? await demoModel(join(root, 'demo'), train) : await loadModel(join(root, id));
    try {
      for (const row of await probeTrajectories(model, clean, candidates, epochs, (s) => process.stderr.write(`${id} ${s}\n`))) {
        process.stdout.write(`${JSON.stringify({ id, ...row })}\n`);
      }
    } finally {
      model.dispose();
    }
  }
}

/**
 * The demo's backdoored model, trained as `tsbd demo` trains it (seed 0), with its attack.json, cached in `dir`; with
 * `clean`, the same recipe on the unpoisoned images (the retuning attack's reference).
 */
async function demoModel(dir: string, train: ImageSet, clean = false): Promise<LayersModel> {
  if (existsSync(join(dir, 'model.json'))) return loadModel(dir);
  const model = buildModel('preact-resnet-s', { inputShape: [train.height, train.width, train.channels], numClasses: train.numClasses, seed: 0 });
  const attack = badNets({ rate: 0.1, target: 0, seed: 0 });
  await trainClassifier(model, clean ? train : attack.poison(train).set, { epochs: 2, seed: 0 });
  mkdirSync(dir, { recursive: true });
  await saveModel(model, dir);
  writeFileAtomic(join(dir, 'attack.json'), `${JSON.stringify(attack.config())}\n`);
  return model;
}

// Run as the entry point only (`node --import tsx bench/zoo.ts` puts the entry in argv[1]): zoo_extrapolate.ts imports from here.
if (process.argv[1] === __filename) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
