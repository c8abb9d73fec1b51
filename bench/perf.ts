/**
 * `npm run bench:perf -- [--json] [--reps N] [--models small-cnn,preact-resnet-s]`: training and purification
 * speed (issue 4). A benchmark, not a test: it prints figures and asserts nothing.
 *
 * With --json, stdout holds exactly one JSON object
 *   {backend, threads, models: [{arch, batch, inferImgPerS, trainImgPerS, stepOverForward, aaftOverVanilla,
 *   purifySeconds}], cpuBackendTrainImgPerS}
 * and the table and progress go to stderr; without it the table goes to stdout.
 *
 * What each figure is (every step and forward figure the median of `--reps` repetitions, default 9, after 6 warm-up
 * runs; nine rather than the issue's minimum of five because the machine's other tenants make single repetitions
 * jump by 20-50%):
 * - inferImgPerS: batch / time of `model.predict(x)` (inference mode) on one batch, data read back.
 * - trainImgPerS: batch / time of one plain step, `model.trainOnBatch(x, y)` with momentum SGD (lr 0.01, 0.9),
 *   cross-entropy and an accuracy metric, as purify's fine-tuning compiles it.
 * - stepOverForward: median plain step time / median forward time, same batch.
 * - aaftOverVanilla: median activeness-aware step time (GradNormOptimizer around the same momentum SGD, r 0.05,
 *   alpha 0.7, per-tensor, purify's defaults) / median plain step time. Plain and activeness-aware steps are
 *   interleaved rep by rep, on two models with the same seed.
 * - purifySeconds: wall time of `purify()` (the public API) on a fixed task: the model is first trained (untimed)
 *   for one epoch on the committed Fashion-MNIST subset's training images 0..511 (Adam, batch 64, seed 1); the clean
 *   set is training images 512..767 (256 images); options {fraction: 0.1, seed: 1, unlearn: {maxEpochs: 2,
 *   targetAcc: 0, collapseShare: 1}, finetune: {epochs: 2}}: so n is given (no search), unlearning runs 2 epochs
 *   unless the copy collapses completely, then zero re-initialisation and 2 activeness-aware fine-tuning epochs, at
 *   purify's default batch size for 256 images (26). Median of `--purify-reps` (default 5) after one warm-up.
 * - cpuBackendTrainImgPerS: small-cnn trained on the pure-JS cpu backend: batch `--cpu-batch` (default 8), one
 *   warm-up step, then the median of `--cpu-reps` (default 3) steps. Kept short on purpose: a step takes seconds.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { purify } from '../src';
import { selectBackend } from '../src/backend';
import { subset } from '../src/data';
import { loadFashionMnist } from '../src/node';
import { disposeOptimizer } from '../src/internal/dispose_optimizer';
import { crossEntropyLoss } from '../src/losses/cross_entropy';
import { buildModel, type Arch } from '../src/models';
import { GradNormOptimizer } from '../src/optimizers/grad_norm';
import { trainClassifier } from '../src/training/train_classifier';

import { benchArgs, type BenchBackend } from './args';
import { median, round } from './stats';

/** Figures for one architecture, as issue 4 names them. */
export interface ModelFigures {
  arch: Arch;
  batch: number;
  inferImgPerS: number;
  trainImgPerS: number;
  stepOverForward: number;
  aaftOverVanilla: number;
  purifySeconds: number | null;
}

/** The one JSON object `--json` prints. */
export interface PerfResult {
  backend: string;
  threads: number | null;
  models: ModelFigures[];
  cpuBackendTrainImgPerS: number | null;
}

interface Options {
  json: boolean;
  reps: number;
  purifyReps: number;
  models: Arch[];
  batch: number;
  backend: BenchBackend;
  cpuBatch: number;
  cpuReps: number;
  skipPurify: boolean;
  skipCpu: boolean;
}

const SHAPE: [number, number, number] = [28, 28, 1];
const CLASSES = 10;
const WARMUP = 6;

const USAGE = `usage: npm run bench:perf -- [--json] [--reps N] [--models small-cnn,preact-resnet-s] [--batch 64]
  [--backend wasm|cpu|tensorflow] [--purify-reps N] [--cpu-batch 8] [--cpu-reps 3] [--skip-purify] [--skip-cpu]`;

function parseOptions(argv: string[]): Options {
  const args = benchArgs(argv, USAGE, {
    json: 'boolean',
    reps: 'string',
    'purify-reps': 'string',
    models: 'string',
    batch: 'string',
    backend: 'string',
    'cpu-batch': 'string',
    'cpu-reps': 'string',
    'skip-purify': 'boolean',
    'skip-cpu': 'boolean',
  });
  const models = (args.string('models') ?? 'small-cnn,preact-resnet-s')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((m) => args.arch(m, 'models'));
  return {
    json: args.flag('json'),
    reps: args.positiveInt('reps', 9),
    purifyReps: args.positiveInt('purify-reps', 5),
    models,
    batch: args.positiveInt('batch', 64),
    backend: args.backend(),
    cpuBatch: args.positiveInt('cpu-batch', 8),
    cpuReps: args.positiveInt('cpu-reps', 3),
    skipPurify: args.flag('skip-purify'),
    skipCpu: args.flag('skip-cpu'),
  };
}

const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(' ');

/** Milliseconds `run` takes. */
async function timeMs(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** A fixed batch: pixels uniform in [0, 1) and one-hot labels, both from fixed seeds. */
function makeBatch(batch: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([batch, ...SHAPE], 0, 1, 'float32', 7) as tf.Tensor4D;
    const labels = tf.cast(tf.floor(tf.randomUniform([batch], 0, CLASSES, 'float32', 8)), 'int32') as tf.Tensor1D;
    const y = tf.cast(tf.oneHot(labels, CLASSES), 'float32') as tf.Tensor2D;
    return { x, y };
  });
}

/** A model of `arch` (seed 1) compiled as purify's fine-tuning compiles it, plain or activeness-aware. */
function compiled(arch: Arch, aaft: boolean): { model: tfl.LayersModel; dispose: () => void } {
  const model = buildModel(arch, { inputShape: SHAPE, numClasses: CLASSES, seed: 1 });
  const inner = tf.train.momentum(0.01, 0.9);
  const optimizer = aaft ? new GradNormOptimizer(inner, { rho: 0.05, alpha: 0.7, normalize: 'per-tensor' }) : inner;
  model.compile({ optimizer, loss: crossEntropyLoss('probabilities'), metrics: ['accuracy'] });
  return {
    model,
    dispose: () => {
      model.dispose();
      if (optimizer !== inner) optimizer.dispose();
      disposeOptimizer(inner);
    },
  };
}

function log(line: string): void {
  process.stderr.write(`[bench:perf] ${line}\n`);
}

async function stepFigures(arch: Arch, o: Options): Promise<Omit<ModelFigures, 'purifySeconds'>> {
  const { x, y } = makeBatch(o.batch);
  const plain = compiled(arch, false);
  const aaft = compiled(arch, true);
  try {
    const forward = async (): Promise<void> => {
      const out = plain.model.predict(x, { batchSize: o.batch }) as tf.Tensor;
      await out.data();
      out.dispose();
    };
    const plainStep = (): Promise<unknown> => plain.model.trainOnBatch(x, y);
    const aaftStep = (): Promise<unknown> => aaft.model.trainOnBatch(x, y);
    for (let i = 0; i < WARMUP; i++) {
      await forward();
      await plainStep();
      await aaftStep();
    }
    const tensorsBefore = tf.memory().numTensors;
    const fwd: number[] = [];
    const step: number[] = [];
    const aa: number[] = [];
    for (let i = 0; i < o.reps; i++) {
      fwd.push(await timeMs(forward));
      step.push(await timeMs(plainStep));
      aa.push(await timeMs(aaftStep));
    }
    const grown = tf.memory().numTensors - tensorsBefore;
    const [f, s, a] = [median(fwd), median(step), median(aa)];
    log(
      `${arch}: forward ${f.toFixed(1)} ms, plain step ${s.toFixed(1)} ms, activeness-aware step ${a.toFixed(1)} ms ` +
        `(medians of ${o.reps}; tensors grown during timed reps: ${grown})\n  ` +
        `all reps, ms: forward ${fmt(fwd)}; plain ${fmt(step)}; activeness-aware ${fmt(aa)}`,
    );
    return {
      arch,
      batch: o.batch,
      inferImgPerS: round((o.batch * 1000) / f, 1),
      trainImgPerS: round((o.batch * 1000) / s, 1),
      stepOverForward: round(s / f, 3),
      aaftOverVanilla: round(a / s, 3),
    };
  } finally {
    plain.dispose();
    aaft.dispose();
    tf.dispose([x, y]);
  }
}

async function purifySeconds(arch: Arch, o: Options): Promise<number> {
  const { train } = loadFashionMnist('subset');
  const pretrainSet = subset(train, Array.from({ length: 512 }, (_, i) => i));
  const clean = subset(train, Array.from({ length: 256 }, (_, i) => 512 + i));
  const model = buildModel(arch, { inputShape: SHAPE, numClasses: CLASSES, seed: 1 });
  try {
    await trainClassifier(model, pretrainSet, { epochs: 1, batchSize: 64, seed: 1 });
    const run = async (): Promise<{ seconds: number; epochs: number }> => {
      const start = performance.now();
      const result = await purify(model, clean, {
        fraction: 0.1,
        seed: 1,
        unlearn: { maxEpochs: 2, targetAcc: 0, collapseShare: 1 },
        finetune: { epochs: 2 },
      });
      const seconds = (performance.now() - start) / 1000;
      result.model.dispose();
      return { seconds, epochs: result.report.unlearn.epochs };
    };
    await run();
    const times: number[] = [];
    let epochs = 0;
    for (let i = 0; i < o.purifyReps; i++) {
      const r = await run();
      times.push(r.seconds);
      epochs = r.epochs;
    }
    const m = median(times);
    log(`${arch}: purify ${m.toFixed(2)} s (median of ${o.purifyReps}; unlearning ran ${epochs} epoch(s))`);
    return round(m, 2);
  } finally {
    model.dispose();
  }
}

async function cpuTrainImgPerS(o: Options): Promise<number> {
  await selectBackend('cpu');
  const { x, y } = makeBatch(o.cpuBatch);
  const plain = compiled('small-cnn', false);
  try {
    await plain.model.trainOnBatch(x, y);
    const times: number[] = [];
    for (let i = 0; i < o.cpuReps; i++) times.push(await timeMs(() => plain.model.trainOnBatch(x, y)));
    const m = median(times);
    log(`cpu backend, small-cnn: step ${m.toFixed(0)} ms at batch ${o.cpuBatch} (median of ${o.cpuReps})`);
    return round((o.cpuBatch * 1000) / m, 2);
  } finally {
    plain.dispose();
    tf.dispose([x, y]);
  }
}

function threadsOf(backend: string): number | null {
  if (backend !== 'wasm') return null;
  const load: (id: string) => unknown = require;
  const wasm = load('@tensorflow/tfjs-backend-wasm') as { getThreadsCount: () => number };
  return wasm.getThreadsCount();
}

function table(r: PerfResult, o: Options): string {
  const pad = (s: string, n: number): string => s.padStart(n);
  const lines = [
    `backend ${r.backend}, threads ${String(r.threads)}, median of ${o.reps} reps (purify: ${o.purifyReps})`,
    `${'arch'.padEnd(16)}${pad('batch', 6)}${pad('infer img/s', 13)}${pad('train img/s', 13)}` +
      `${pad('step/fwd', 10)}${pad('aaft/plain', 12)}${pad('purify s', 10)}`,
    ...r.models.map(
      (m) =>
        `${m.arch.padEnd(16)}${pad(String(m.batch), 6)}${pad(m.inferImgPerS.toFixed(1), 13)}` +
        `${pad(m.trainImgPerS.toFixed(1), 13)}${pad(m.stepOverForward.toFixed(2), 10)}` +
        `${pad(m.aaftOverVanilla.toFixed(2), 12)}${pad(m.purifySeconds === null ? '-' : m.purifySeconds.toFixed(2), 10)}`,
    ),
    `cpu backend, small-cnn training: ${r.cpuBackendTrainImgPerS === null ? '-' : `${r.cpuBackendTrainImgPerS} img/s`}` +
      (r.cpuBackendTrainImgPerS === null || r.models[0] === undefined
        ? ''
        : ` (${r.models[0].arch} on ${r.backend}: ${(
            (r.models.find((m) => m.arch === 'small-cnn')?.trainImgPerS ?? Number.NaN) / r.cpuBackendTrainImgPerS
          ).toFixed(0)}x)`),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const backend = await selectBackend(o.backend);
  const threads = threadsOf(backend);
  log(`backend ${backend}, threads ${String(threads)}, batch ${o.batch}, reps ${o.reps}`);
  const models: ModelFigures[] = [];
  for (const arch of o.models) {
    const steps = await stepFigures(arch, o);
    const seconds = o.skipPurify ? null : await purifySeconds(arch, o);
    models.push({ ...steps, purifySeconds: seconds });
  }
  const cpu = o.skipCpu ? null : await cpuTrainImgPerS(o);
  const result: PerfResult = { backend, threads, models, cpuBackendTrainImgPerS: cpu };
  if (o.json) {
    process.stderr.write(table(result, o));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(table(result, o));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
