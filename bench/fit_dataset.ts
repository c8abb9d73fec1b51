/**
 * `npm run bench:dataset -- [--json] [--reps N] [--backend wasm|cpu|tensorflow]`: what tf.data costs in the
 * training loop (issue 14). `batchDataset` (src/data/batch_dataset.ts) is a `tf.data.generator` dataset; the
 * baseline is the bare protocol `model.fitDataset` needs (an object with `iterator()` whose `next()` makes the same
 * batch tensors), which is what batchDataset was before tf.data. A benchmark, not a test: it asserts nothing.
 *
 * Task: the first 1,024 training images of the committed Fashion-MNIST subset, batches of 64 (16 steps an epoch),
 * shuffled, no augmentation. Figures, each the median of `--reps` (default 7) runs, the two datasets interleaved
 * run by run, after one warm-up run of each:
 * - iterateMs: one epoch drawn from the dataset with no model (make the batch, dispose it): the data path alone;
 * - fitEpochMs: one `fitDataset` epoch of small-cnn (momentum SGD, cross-entropy, accuracy metric).
 */
import * as tf from '@tensorflow/tfjs-core';

import { selectBackend } from '../src/backend';
import { batchDataset } from '../src/data/batch_dataset';
import { loadFashionMnist } from '../src/data/fashion_mnist';
import { subset, type ImageSet } from '../src/data/image_set';
import { toTensors } from '../src/data/tensors';
import { Rng } from '../src/internal/rng';
import { buildModel } from '../src/models/registry';
import { median, round } from './stats';
import { benchArgs } from './args';

const USAGE = 'usage: npm run bench:dataset -- [--json] [--reps N] [--backend wasm|cpu|tensorflow]';

type Batch = { xs: tf.Tensor; ys: tf.Tensor };
interface Iterable {
  iterator(): Promise<{ next(): Promise<IteratorResult<Batch>> }>;
}

/** The bare protocol: per iterator, one seeded shuffle, then one toTensors call per batch. */
function bareDataset(set: ImageSet, batchSize: number, seed: number): Iterable {
  let epoch = 0;
  return {
    iterator: async () => {
      const order = new Rng((seed * 1000003 + epoch++ * 7919 + 1) >>> 0).permutation(set.count);
      let next = 0;
      return {
        next: async (): Promise<IteratorResult<Batch>> => {
          if (next >= set.count) return { done: true, value: undefined };
          const idx = Array.prototype.slice.call(order, next, next + batchSize) as number[];
          next += idx.length;
          const { x, y } = toTensors(set, undefined, idx);
          return { done: false, value: { xs: x, ys: y } };
        },
      };
    },
  };
}

async function iterate(ds: Iterable): Promise<number> {
  const t0 = performance.now();
  const it = await ds.iterator();
  for (let r = await it.next(); r.done !== true; r = await it.next()) tf.dispose([r.value.xs, r.value.ys]);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2), USAGE, { json: 'boolean', reps: 'string', backend: 'string' });
  const json = args.flag('json');
  const reps = args.positiveInt('reps', 7);
  const backend = await selectBackend(args.backend());
  const { train } = loadFashionMnist('subset');
  const set = subset(train, Array.from({ length: 1024 }, (_, i) => i));
  const batchSize = 64;
  const make = {
    'tf.data': (seed: number): Iterable => batchDataset(set, { batchSize, seed }) as unknown as Iterable,
    bare: (seed: number): Iterable => bareDataset(set, batchSize, seed),
  };
  const model = buildModel('small-cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const opt2 = tf.train.momentum(0.01, 0.9);
  model.compile({ optimizer: opt2, loss: 'categoricalCrossentropy', metrics: ['acc'] });
  const times: Record<string, { iterateMs: number[]; fitEpochMs: number[] }> = {
    'tf.data': { iterateMs: [], fitEpochMs: [] },
    bare: { iterateMs: [], fitEpochMs: [] },
  };
  for (let r = 0; r <= reps; r++) {
    for (const name of ['tf.data', 'bare'] as const) {
      const it = await iterate(make[name](r));
      const t0 = performance.now();
      await model.fitDataset(make[name](r) as never, { epochs: 1, verbose: 0 });
      const fit = performance.now() - t0;
      if (r > 0) {
        times[name]?.iterateMs.push(it);
        times[name]?.fitEpochMs.push(fit);
      }
    }
  }
  const row = (name: string) => ({
    dataset: name,
    iterateMs: round(median(times[name]?.iterateMs ?? []), 1),
    fitEpochMs: round(median(times[name]?.fitEpochMs ?? []), 1),
  });
  const data = row('tf.data');
  const bare = row('bare');
  const result = {
    backend,
    reps,
    images: set.count,
    batchSize,
    rows: [data, bare],
    iterateRatio: round(data.iterateMs / bare.iterateMs, 3),
    fitEpochRatio: round(data.fitEpochMs / bare.fitEpochMs, 3),
  };
  model.dispose();
  opt2.dispose();
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
