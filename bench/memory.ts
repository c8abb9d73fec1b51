/**
 * `npm run bench:memory -- [--json] [--epochs 30] [--arch preact-resnet-s] [--clean 800] [--backend wasm|cpu|tensorflow]`:
 * memory over a long purify (issue 4: peak RSS and tensor counts stay flat). A benchmark: it prints what it measured
 * and asserts nothing; test/perf/purify_memory.test.ts is the test (tensor counts over 3 epochs).
 *
 * The task: `--arch` (seed 1) trained, untimed, for one epoch on the committed Fashion-MNIST subset's training images
 * 0..1999 (Adam, batch 64); then `purify()` with the next `--clean` images as the clean set, n = 0.1 given, 5
 * unlearning epochs at most and `--epochs` activeness-aware fine-tuning epochs at purify's defaults otherwise.
 * At every fine-tuning epoch end it records the process's resident set (RSS) and its peak so far
 * (`process.resourceUsage().maxRSS`), the wasm backend's heap (wasm memory never shrinks, so a leak inside it shows
 * as growth), and `tf.memory()`'s tensor count and bytes.
 *
 * With --json, stdout holds one JSON object
 *   {backend, arch, cleanImages, epochs: [{epoch, rssMB, peakRssMB, wasmHeapMB, numTensors, tensorMB}],
 *    rssSlopeMBPerEpoch, peakRssGrowthMB, numTensorsRange}
 * where the slope (least squares) and the peak growth are taken over epochs 2..N (epoch 1 warms caches and pools),
 * and the table goes to stderr.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { purify } from '../src';
import { selectBackend } from '../src/backend';
import { subset } from '../src/data';
import { loadFashionMnist } from '../src/node';
import { TsbdEmitter, type Phase } from '../src/events';
import { buildModel, type Arch } from '../src/models';
import { trainClassifier } from '../src/training/train_classifier';

import { benchArgs, type BenchBackend } from './args';
import { round, slope } from './stats';

/** Memory at the end of one fine-tuning epoch. */
export interface EpochMemory {
  epoch: number;
  rssMB: number;
  peakRssMB: number;
  wasmHeapMB: number | null;
  numTensors: number;
  tensorMB: number;
}

/** The one JSON object `--json` prints. */
export interface MemoryResult {
  backend: string;
  arch: Arch;
  cleanImages: number;
  epochs: EpochMemory[];
  rssSlopeMBPerEpoch: number;
  peakRssGrowthMB: number;
  numTensorsRange: [number, number];
}

const USAGE =
  'usage: npm run bench:memory -- [--json] [--epochs 30] [--arch preact-resnet-s] [--clean 800] ' +
  '[--backend wasm|cpu|tensorflow]';
const MB = 2 ** 20;
const PRETRAIN = 2000;

function options(argv: string[]): { json: boolean; epochs: number; arch: Arch; clean: number; backend: BenchBackend } {
  const args = benchArgs(argv, USAGE, { json: 'boolean', epochs: 'string', arch: 'string', clean: 'string', backend: 'string' });
  return {
    json: args.flag('json'),
    epochs: args.positiveInt('epochs', 30),
    arch: args.arch(args.string('arch') ?? 'preact-resnet-s', 'arch'),
    // The subset has 8,000 training images, the first 2,000 of which pre-train the model.
    clean: args.positiveInt('clean', 800, 8000 - PRETRAIN),
    backend: args.backend(),
  };
}

function sample(epoch: number): EpochMemory {
  const backend = tf.backend();
  const heap = tf.getBackend() === 'wasm' ? ((backend as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength / MB : null;
  const m = tf.memory();
  return {
    epoch,
    rssMB: round(process.memoryUsage().rss / MB, 1),
    peakRssMB: round((process.resourceUsage().maxRSS * 1024) / MB, 1),
    wasmHeapMB: heap === null ? null : round(heap, 1),
    numTensors: m.numTensors,
    tensorMB: round(m.numBytes / MB, 2),
  };
}

function table(r: MemoryResult): string {
  const rows = r.epochs.map(
    (e) =>
      `${String(e.epoch).padStart(5)}${e.rssMB.toFixed(1).padStart(10)}${e.peakRssMB.toFixed(1).padStart(10)}` +
      `${(e.wasmHeapMB === null ? '-' : e.wasmHeapMB.toFixed(1)).padStart(11)}${String(e.numTensors).padStart(9)}` +
      `${e.tensorMB.toFixed(2).padStart(11)}`,
  );
  return [
    `${r.arch} on ${r.backend}, ${r.cleanImages} clean images: memory at each fine-tuning epoch end`,
    `epoch    rss MB   peak MB  wasm heap  tensors  tensor MB`,
    ...rows,
    `rss slope over epochs 2..${r.epochs.length}: ${r.rssSlopeMBPerEpoch} MB/epoch; peak RSS growth: ` +
      `${r.peakRssGrowthMB} MB; tensors ${r.numTensorsRange[0]}..${r.numTensorsRange[1]}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const backend = await selectBackend(o.backend);
  const { train } = loadFashionMnist('subset');
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
  const model = buildModel(o.arch, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const epochs: EpochMemory[] = [];
  try {
    await trainClassifier(model, subset(train, range(0, PRETRAIN)), { epochs: 1, batchSize: 64, seed: 1 });
    const events = new TsbdEmitter().on('epochEnd', (phase: Phase, epoch: number) => {
      if (phase !== 'finetune') return;
      epochs.push(sample(epoch));
      process.stderr.write(`[bench:memory] fine-tuning epoch ${epoch}/${o.epochs}\n`);
    });
    const result = await purify(model, subset(train, range(PRETRAIN, o.clean)), {
      fraction: 0.1,
      seed: 1,
      events,
      unlearn: { maxEpochs: 5 },
      finetune: { epochs: o.epochs },
    });
    result.model.dispose();
  } finally {
    model.dispose();
  }
  const steady = epochs.slice(1);
  const tensors = epochs.map((e) => e.numTensors);
  const r: MemoryResult = {
    backend,
    arch: o.arch,
    cleanImages: o.clean,
    epochs,
    rssSlopeMBPerEpoch: round(slope(steady.map((e) => e.rssMB)), 3),
    peakRssGrowthMB: round((steady.at(-1)?.peakRssMB ?? Number.NaN) - (steady[0]?.peakRssMB ?? Number.NaN), 1),
    numTensorsRange: [Math.min(...tensors), Math.max(...tensors)],
  };
  if (o.json) {
    process.stderr.write(`${table(r)}\n`);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    process.stdout.write(`${table(r)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
