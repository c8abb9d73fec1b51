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
import { UnlearningStop } from '../src/callbacks/unlearning_stop';
import { subset, type ImageSet } from '../src/data/image_set';
import { toTensors } from '../src/data/tensors';
import { resolvePurifyOptions } from '../src/defenses/tsbd_options';
import { nwcScores } from '../src/hooks/nwc';
import { denseFeedingHead, outputDenseLayers } from '../src/hooks/scorable_layers';
import { WeightSnapshot } from '../src/hooks/weight_snapshot';
import { disposeOptimizer } from '../src/internal/dispose_optimizer';
import { unlearningLoss } from '../src/losses/unlearning_loss';
import { cloneModel } from '../src/models/clone_model';
import { outputKind } from '../src/models/output_kind';
import { fitImageSet } from '../src/training/fit_image_set';

/** Shares of the units at which each ranking's coverage is reported. */
export const SHARES = [0.1, 0.3, 0.5] as const;

/** Mean activation per unit of `layer` in `model` over `set`. */
function meanActivation(model: tfl.LayersModel, layer: tfl.layers.Layer, set: ImageSet): Float32Array {
  const probe = tfl.model({ inputs: model.inputs, outputs: layer.output as tfl.SymbolicTensor });
  const { x, y } = toTensors(set);
  const mean = tf.tidy(() => tf.mean(probe.predict(x, { batchSize: 256 }) as tf.Tensor, 0));
  const values = mean.dataSync() as Float32Array;
  tf.dispose([x, y, mean]);
  return values;
}

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
  const feeding = denseFeedingHead(model) as tfl.layers.Layer | undefined;
  if (feeding === undefined) throw new Error(`model '${model.name}' has no hidden Dense layer feeding its output layer`);
  const head = [...outputDenseLayers(model)][0] as tfl.layers.Layer;
  const o = resolvePurifyOptions({ layers: 'conv+dense', unlearn: { lr: unlearnLr } }, head.getWeights()[0]?.shape[1] ?? 10, clean.count, model);
  const copy = cloneModel(model);
  const snapshot = WeightSnapshot.capture(model, o.layers);
  const optimizer = tf.train.momentum(o.unlearn.lr, o.unlearn.momentum);
  const { x, y } = toTensors(clean);
  copy.compile({ optimizer, loss: unlearningLoss(outputKind(model)) });
  const stop = new UnlearningStop({ x, y, targetAcc: o.unlearn.targetAcc, collapseShare: o.unlearn.collapseShare, maxEpochs: o.unlearn.maxEpochs });
  await fitImageSet(copy, clean, { epochs: o.unlearn.maxEpochs, batchSize: o.unlearn.batchSize, seed: 0, augment: false, range: o.range, callbacks: [stop] });
  tf.dispose([x, y]);
  disposeOptimizer(optimizer);
  const scores = nwcScores(snapshot, copy);
  snapshot.dispose();

  const nonTarget = subset(test, Array.from({ length: test.count }, (_, i) => i).filter((i) => test.labels[i] !== attack.target).slice(0, 1000));
  const onClean = meanActivation(model, feeding, nonTarget);
  const onStamped = meanActivation(model, feeding, attack.applyTrigger(nonTarget));
  const [k0, k1] = [head.getWeights()[0], copy.getLayer(head.name).getWeights()[0]].map((w) => (w as tf.Tensor).arraySync() as number[][]) as [number[][], number[][]];
  const push = k0.map((row, j) => {
    const others = row.reduce((a, b) => a + b, 0) / row.length;
    return Math.max(0, ((onStamped[j] as number) - (onClean[j] as number)) * ((row[attack.target] as number) - others));
  });
  const before = meanActivation(model, feeding, clean);
  const after = meanActivation(copy, copy.getLayer(feeding.name), clean);
  copy.dispose();
  const rankings: Record<string, ArrayLike<number>> = {
    nwc: (scores.layers.find((l) => l.layerName === feeding.name) as { neuronScores: Float32Array }).neuronScores,
    headRowChange: k0.map((row, j) => row.reduce((a, v, k) => a + Math.abs(v - (k1[j]?.[k] as number)), 0)),
    activationChange: Array.from(before, (v, j) => Math.abs((after[j] as number) - v)),
  };
  const r3 = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    layer: feeding.name,
    units: push.length,
    unlearnEpochs: stop.history.length,
    stopReason: stop.stopReason ?? 'maxEpochs',
    unitsFor80: r3(unitsHolding(push, 0.8)),
    shares: SHARES,
    coverage: Object.fromEntries(Object.entries(rankings).map(([name, s]) => [name, SHARES.map((sh) => r3(coverage(s, push, sh)))])),
  };
}
