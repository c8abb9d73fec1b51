/**
 * `npm run zoo -- head-rows --only D1,D3,D4 [--model DIR]` (via bench/zoo.ts): can a clean-data ranking of the head's
 * input rows find the rows that carry the trigger? This is what `headShiftRows` < 1 relies on (issue 10).
 *
 * For the hidden Dense layer feeding the output layer, each unit j gets its trigger push towards the target:
 * (mean activation on stamped - on clean non-target test images) * (K[j, target] - mean_k K[j, k]), K the output
 * kernel, kept when positive. A ranking is good when its top share of the units holds much more than that share of
 * the total push (a random ranking holds the share itself). Rankings, all from the clean set and a clean unlearning
 * run as purify's (SGD momentum 0.9 at unlearn lr until chance or collapse):
 * - `nwc`: purify's NWC score of the unit (|weight change| summed over its incoming weights);
 * - `headRowChange`: |change| summed over the unit's row of the output kernel;
 * - `activationChange`: |change| of the unit's mean activation on the clean set.
 * `unitsFor80` is how spread the push is: the share of the units, largest push first, that holds 80% of it.
 * This uses the trigger and test data: it is analysis, never part of a defense.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type { Attack } from '../src/attacks/attack';
import { subset, type ImageSet } from '../src/data/image_set';
import { resolvePurifyOptions } from '../src/defenses/tsbd_options';
import { unlearn } from '../src/defenses/unlearn';
import { denseFeedingHead, outputHead } from '../src/hooks/scorable_layers';
import { outputKind } from '../src/models/output_kind';
import { meanActivations } from './zoo_analyze';

/** Shares of the units at which each ranking's coverage is reported. */
export const SHARES = [0.1, 0.3, 0.5] as const;

/** Share of `push` held by the top `share` of units when ranked by `score` (descending). */
export function coverage(score: ArrayLike<number>, push: ArrayLike<number>, share: number): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number));
  let total = 0;
  for (let i = 0; i < n; i++) total += push[i] as number;
  let top = 0;
  for (const i of order.slice(0, Math.round(share * n))) top += push[i] as number;
  return total > 0 ? top / total : Number.NaN;
}

/** The smallest share of the units that holds `part` of the total push, taking the largest pushes first. */
export function unitsHolding(push: readonly number[], part: number): number {
  const sorted = [...push].sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let k = 0; k < sorted.length; k++) {
    sum += sorted[k] as number;
    if (sum >= part * total) return (k + 1) / sorted.length;
  }
  return 1;
}

/** Unlearns a copy of `model` on `clean`, then reports how much of the trigger's push each clean ranking's top shares hold. */
export async function headRowCoverage(model: tfl.LayersModel, attack: Attack, clean: ImageSet, test: ImageSet, unlearnLr = 0.01): Promise<Record<string, unknown>> {
  const feeding = denseFeedingHead(model);
  if (feeding === undefined) throw new Error(`model '${model.name}' has no hidden Dense layer feeding its output layer`);
  const head = outputHead(model) as tfl.layers.Layer;
  const kernelOf = (layer: tfl.layers.Layer): number[][] => (layer.getWeights()[0] as tf.Tensor).arraySync() as number[][];
  const k0 = kernelOf(head);
  const o = resolvePurifyOptions({ layers: 'conv+dense', unlearn: { lr: unlearnLr } }, k0[0]?.length ?? 10, clean.count, model);
  let k1: number[][] = [];
  let after: Float32Array = new Float32Array(0);
  const unlearned = await unlearn(model, clean, outputKind(model), o, undefined, (copy) => {
    k1 = kernelOf(copy.getLayer(head.name));
    after = meanActivations(copy, [feeding.name], clean)[0] as Float32Array;
  });

  const nonTarget = subset(test, Array.from({ length: test.count }, (_, i) => i).filter((i) => test.labels[i] !== attack.target).slice(0, 1000));
  const [onClean, onStamped, before] = [nonTarget, attack.applyTrigger(nonTarget), clean].map((set) => meanActivations(model, [feeding.name], set)[0] as Float32Array) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const push = k0.map((row, j) => {
    const others = row.reduce((a, b) => a + b, 0) / row.length;
    return Math.max(0, ((onStamped[j] as number) - (onClean[j] as number)) * ((row[attack.target] as number) - others));
  });
  const rankings: Record<string, ArrayLike<number>> = {
    nwc: (unlearned.scores.layers.find((l) => l.layerName === feeding.name) as { neuronScores: Float32Array }).neuronScores,
    headRowChange: k0.map((row, j) => row.reduce((a, v, k) => a + Math.abs(v - (k1[j]?.[k] as number)), 0)),
    activationChange: Array.from(before, (v, j) => Math.abs((after[j] as number) - v)),
  };
  const r3 = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    layer: feeding.name,
    units: push.length,
    unlearnEpochs: unlearned.epochs,
    stopReason: unlearned.stopReason,
    unitsFor80: r3(unitsHolding(push, 0.8)),
    shares: SHARES,
    coverage: Object.fromEntries(Object.entries(rankings).map(([name, s]) => [name, SHARES.map((sh) => r3(coverage(s, push, sh)))])),
  };
}
