import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { applyReinit, neuronCount, reinitMask } from '../callbacks/nwc_reinit';
import type { ImageSet } from '../data/image_set';
import type { TsbdEmitter } from '../events';
import type { NwcScores } from '../hooks/nwc';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { evaluate } from '../metrics/evaluate';
import { cloneModel } from '../models/clone_model';
import { recalibrateBatchNorm } from '../models/recalibrate_batch_norm';
import { fitImageSet } from '../training/fit_image_set';
import { cleanSplits, type CleanSplit } from './clean_split';
import type { ResolvedPurifyOptions } from './tsbd_options';

/** One candidate n tried by {@link chooseFraction}. Accuracies are fractions in [0,1]. */
export interface FractionProbe {
  fraction: number;
  /** Held-out clean accuracy after zero re-initialisation with this n and the recovery, one per split. */
  heldOutAccs: number[];
  /** Their mean. */
  heldOutAcc: number;
  /** Mean over splits of (control's accuracy - this candidate's): what re-initialising with n costs. */
  cost: number;
  accepted: boolean;
}

/** The outcome of {@link chooseFraction}. */
export interface FractionChoice {
  fraction: number;
  /** Held-out clean accuracy of the n = 0 control after the same recovery, one per split, and their mean. */
  controlAccs: number[];
  controlAcc: number;
  probes: FractionProbe[];
}

/**
 * What re-initialising costs, from paired held-out accuracies (split k of the candidate against split k of the
 * control): the mean of `control[k] - candidate[k]`. Positive means the candidate recovered less than doing nothing.
 */
export function reinitCost(candidateAccs: readonly number[], controlAccs: readonly number[]): number {
  if (candidateAccs.length !== controlAccs.length || candidateAccs.length === 0) {
    throw new RangeError(`need one control accuracy per split: ${candidateAccs.length} candidate, ${controlAccs.length} control`);
  }
  let sum = 0;
  candidateAccs.forEach((a, k) => (sum += (controlAccs[k] as number) - a));
  return sum / candidateAccs.length;
}

/** Slack for float rounding when a cost equals the tolerance (accuracies are multiples of 1/heldOut). */
const ROUNDING = 1e-9;

/**
 * Chooses the re-initialisation fraction n from CLEAN data alone, against a control.
 *
 * For each of `auto.splits` disjoint held-out parts of the clean set (`heldOutFraction` each), the model is probed:
 * a copy is zero re-initialised with n, recovered by `probeSteps` plain momentum-SGD steps (rounded to whole epochs)
 * at the fine-tuning learning rate on the split's training part, its BatchNorm statistics are re-estimated there (see
 * {@link recalibrateBatchNorm}), and its accuracy is measured on the held-out part. The n = 0
 * control gets exactly the same treatment (same shuffles). The cost of n is the mean, over splits, of the control's
 * accuracy minus the candidate's; the rule takes the LARGEST candidate whose cost is at most `tolerance`.
 * Candidates are probed from the largest down and the first accepted ends the search, so an aggressive n that costs
 * nothing costs one probe per split. When none is accepted the smallest candidate is used and a warning is emitted.
 *
 * Why a control: the recovered accuracy mixes what fine-tuning gains with what zeroing costs; only the difference to
 * n = 0 under the same recovery isolates the cost of zeroing. Why several splits: one held-out part of a few hundred
 * images has a standard error of about 0.015 on accuracy, the size of the tolerance itself. The idea: re-initialise
 * as much of the high-NWC (backdoor-suspect) part of the net as the clean data shows we can afford to rebuild.
 *
 * Porting note: the reference script sweeps n and reports test ASR for each, i.e. it chooses n with poisoned data.
 */
export async function chooseFraction(
  model: tfl.LayersModel,
  scores: NwcScores,
  clean: ImageSet,
  output: 'probabilities' | 'logits',
  o: ResolvedPurifyOptions,
  events?: TsbdEmitter,
): Promise<FractionChoice> {
  const a = o.auto;
  const splits = cleanSplits(clean, a.heldOutFraction, a.splits, o.seed + 7);
  const accsOf = async (fraction: number): Promise<number[]> => {
    const out: number[] = [];
    for (const split of splits) out.push(await recoveredAcc(model, scores, fraction, split, output, o));
    return out;
  };
  // A candidate that selects no neuron (floor(n * N) = 0) would be the control itself: it is not probed.
  const all = [...new Set(a.candidates)].sort((x, y) => y - x);
  const candidates = all.filter((c) => neuronCount(c, scores.ranking.length) > 0);
  if (candidates.length < all.length) {
    events?.emit('warning', `candidate n ${all.filter((c) => !candidates.includes(c)).join(', ')} select no neuron of ${scores.ranking.length}: not probed`);
  }
  if (candidates.length === 0) {
    events?.emit('warning', `no candidate n selects a neuron of ${scores.ranking.length}; nothing is re-initialised`);
    return { fraction: 0, controlAccs: [], controlAcc: Number.NaN, probes: [] };
  }
  const controlAccs = await accsOf(0);
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const controlAcc = mean(controlAccs);
  events?.emit('fractionProbe', 0, controlAcc, 0, true);
  const probes: FractionProbe[] = [];
  let chosen: number | undefined;
  for (const fraction of candidates) {
    const heldOutAccs = await accsOf(fraction);
    const cost = reinitCost(heldOutAccs, controlAccs);
    const accepted = cost <= a.tolerance + ROUNDING;
    const heldOutAcc = mean(heldOutAccs);
    probes.push({ fraction, heldOutAccs, heldOutAcc, cost, accepted });
    events?.emit('fractionProbe', fraction, heldOutAcc, cost, accepted);
    if (accepted) {
      chosen = fraction;
      break;
    }
  }
  if (chosen === undefined) {
    chosen = candidates[candidates.length - 1] as number;
    events?.emit(
      'warning',
      `every candidate n cost more than ${a.tolerance} held-out clean accuracy against the n = 0 control (${controlAcc.toFixed(3)}); using the smallest, ${chosen}`,
    );
  }
  return { fraction: chosen, controlAccs, controlAcc, probes };
}

/** One probe: re-initialise a copy with `fraction`, recover on the split, recalibrate BatchNorm, score held-out. */
async function recoveredAcc(
  model: tfl.LayersModel,
  scores: NwcScores,
  fraction: number,
  split: CleanSplit,
  output: 'probabilities' | 'logits',
  o: ResolvedPurifyOptions,
): Promise<number> {
  const { train, heldOut } = split;
  const stepsPerEpoch = Math.ceil(train.count / o.auto.probeBatchSize);
  const epochs = Math.max(1, Math.round(o.auto.probeSteps / stepsPerEpoch));
  const probe = cloneModel(model);
  const opt = tf.train.momentum(o.finetune.lr, o.finetune.momentum);
  try {
    probe.compile({ optimizer: opt, loss: crossEntropyLoss(output) });
    if (fraction > 0) applyReinit(probe, reinitMask(scores, fraction, o.weightFraction));
    await fitImageSet(probe, train, {
      epochs,
      batchSize: o.auto.probeBatchSize,
      seed: o.seed + 11,
      augment: o.augment,
      range: o.range,
    });
    if (o.recalibrateBatchNorm) recalibrateBatchNorm(probe, train, { range: o.range });
    return (await evaluate(probe, heldOut, undefined, { range: o.range })).acc;
  } finally {
    disposeOptimizer(opt);
    probe.dispose();
  }
}
