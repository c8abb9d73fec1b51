/**
 * Could a head-only fix remove a Dense-head backdoor without re-learning features? Only if the trigger moves the
 * output layer's input along directions that clean images leave unused. On a development model this takes the
 * features that feed the output Dense and prints, per share of clean energy kept (0.9, 0.99, 0.999):
 * - k: how many principal directions of the clean features' (uncentred) second moment hold that share, of `dim`;
 * - triggerOutside: the share of the trigger's feature change (stamped minus clean, non-target test images) that lies
 *   outside those k directions, and cleanTestOutside the same for clean test features (the baseline);
 * - targetLogitOutside: the share of the suspect head's target-logit gain from the trigger that comes from outside.
 * It reads the trigger: analysis of the development half only, never part of a defense.
 *
 *   node --import tsx bench/zoo_head_subspace.ts --only D1,D3,D4
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';

import { selectBackend } from '../src/backend';
import { defenderSplit } from '../src/data/defender_split';
import { subset, type ImageSet } from '../src/data/image_set';
import { toTensors } from '../src/data/tensors';
import { loadModel } from '../src/io/file_handler';
import { loadFashionMnist } from '../src/node';

import { benchArgs } from './args';
import { selectSpecs, zooAttack, zooDir } from './zoo';

const USAGE = 'usage: node --import tsx bench/zoo_head_subspace.ts --only D1,D3,D4 [--dir DIR]';
/** Non-target test images looked at (the first ones of the test split). */
const TEST_IMAGES = 2000;

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2), USAGE, { only: 'string', dir: 'string' });
  const specs = selectSpecs(args.string('only'));
  if (specs.some((s) => s.half !== 'dev')) return args.fail('development models only (the trigger is read)');
  await selectBackend('auto');
  const { train, test } = loadFashionMnist('full');
  const { clean } = defenderSplit(train, 0.05, 0);
  for (const spec of specs) {
    const model = await loadModel(join(zooDir(args.string('dir')), spec.id));
    try {
      const attack = zooAttack(spec);
      const head = model.layers[model.layers.length - 1] as tfl.layers.Layer;
      const kernel = head.getWeights()[0];
      if (head.getClassName() !== 'Dense' || kernel === undefined) return args.fail(`${spec.id} does not end in a Dense`);
      const features = tfl.model({ inputs: model.inputs, outputs: head.input as tfl.SymbolicTensor });
      const rows = (set: ImageSet): number[][] =>
        tf.tidy(() => features.predict(toTensors(set).x, { batchSize: 256 }) as tf.Tensor2D).arraySync();
      const keep: number[] = [];
      for (let i = 0; i < Math.min(TEST_IMAGES, test.count); i++) if (test.labels[i] !== spec.attack.target) keep.push(i);
      const plain = subset(test, keep);
      const cleanFeatures = rows(clean);
      const testFeatures = rows(plain);
      const stamped = rows(attack.applyTrigger(plain));
      const change = stamped.map((r, i) => r.map((v, j) => v - (testFeatures[i]?.[j] as number)));
      const w = kernel.arraySync() as number[][];
      const targetColumn = w.map((r) => r[spec.attack.target] as number);
      const { values, vectors } = eigenSymmetric(secondMoment(cleanFeatures));
      const order = values.map((v, i) => [Math.max(v, 0), i] as const).sort((a, b) => b[0] - a[0]);
      const total = order.reduce((s, [v]) => s + v, 0);
      for (const share of [0.9, 0.99, 0.999]) {
        let k = 0;
        for (let acc = 0; k < order.length && acc < share * total; k++) acc += (order[k] as readonly [number, number])[0];
        const basis = order.slice(0, k).map(([, i]) => vectors.map((r) => r[i] as number));
        const outsideShare = (vs: number[][]): number => {
          let inside = 0;
          let all = 0;
          for (const v of vs) {
            all += dot(v, v);
            for (const u of basis) inside += dot(u, v) ** 2;
          }
          return 1 - inside / all;
        };
        let gain = 0;
        let gainInside = 0;
        for (const v of change) {
          gain += dot(v, targetColumn);
          for (const u of basis) gainInside += dot(u, v) * dot(u, targetColumn);
        }
        const r4 = (x: number): number => Math.round(x * 10000) / 10000;
        const line = {
          id: spec.id,
          dim: order.length,
          cleanShare: share,
          k,
          triggerOutside: r4(outsideShare(change)),
          cleanTestOutside: r4(outsideShare(testFeatures)),
          targetLogitOutside: r4(1 - gainInside / gain),
          targetLogitGain: r4(gain / change.length),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
    } finally {
      model.dispose();
    }
  }
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

/** (1/N) XᵀX of N feature rows. */
function secondMoment(x: number[][]): number[][] {
  const d = x[0]?.length ?? 0;
  const m = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const r of x) {
    for (let i = 0; i < d; i++) {
      const mi = m[i] as number[];
      for (let j = 0; j < d; j++) mi[j] = (mi[j] as number) + ((r[i] as number) * (r[j] as number)) / x.length;
    }
  }
  return m;
}

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (no linear-algebra package is a
 * dependency and tfjs has none; d <= 512 here). Returns the eigenvalues and the eigenvectors as columns.
 */
function eigenSymmetric(m: number[][]): { values: number[]; vectors: number[][] } {
  const d = m.length;
  const a = m.map((r) => r.slice());
  const v = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const rotate = (x: number[][], p: number, q: number, c: number, s: number, rowsToo: boolean): void => {
    for (const r of x) {
      const xp = r[p] as number;
      const xq = r[q] as number;
      r[p] = c * xp - s * xq;
      r[q] = s * xp + c * xq;
    }
    if (!rowsToo) return;
    const rp = x[p] as number[];
    const rq = x[q] as number[];
    for (let k = 0; k < d; k++) {
      const xp = rp[k] as number;
      const xq = rq[k] as number;
      rp[k] = c * xp - s * xq;
      rq[k] = s * xp + c * xq;
    }
  };
  for (let sweep = 0; sweep < 20; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += ((a[p] as number[])[q] as number) ** 2;
    if (off < 1e-12) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = (a[p] as number[])[q] as number;
        if (Math.abs(apq) < 1e-14) continue;
        const theta = (((a[q] as number[])[q] as number) - ((a[p] as number[])[p] as number)) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        rotate(a, p, q, c, t * c, true);
        rotate(v, p, q, c, t * c, false);
      }
    }
  }
  return { values: a.map((r, i) => r[i] as number), vectors: v };
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
