import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/image_set';
import type { TsbdEmitter } from '../events';
import type { NwcScores } from '../hooks/nwc';
import { applyReinit, reinitMask } from '../callbacks/nwc_reinit';
import { evaluate } from '../metrics/evaluate';
import { cloneModel } from '../models/clone_model';
import { fitImageSet } from '../training/fit_image_set';
import { splitClean } from './clean_split';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import type { ResolvedPurifyOptions } from './tsbd_options';

/** One candidate n tried by {@link chooseFraction}. */
export interface FractionProbe {
  fraction: number;
  /** Held-out clean accuracy after re-initialising with this n and a short activeness-aware recovery, in [0,1]. */
  heldOutAcc: number;
  accepted: boolean;
}

/** The outcome of {@link chooseFraction}. */
export interface FractionChoice {
  fraction: number;
  /** Held-out clean accuracy of the model before any change: the reference the retained share is measured against. */
  baseAcc: number;
  probes: FractionProbe[];
}

/**
 * The acceptance test of {@link chooseFraction}: a probe recovers when its held-out accuracy keeps at least `retain`
 * of the original model's accuracy above chance, `acc_n - 1/K >= retain * (acc_0 - 1/K)`. All accuracies in [0,1].
 */
export function recovers(heldOutAcc: number, baseAcc: number, numClasses: number, retain: number): boolean {
  const chance = 1 / numClasses;
  return heldOutAcc - chance >= retain * (baseAcc - chance);
}

/**
 * Chooses the re-initialisation fraction n from CLEAN data alone.
 *
 * Rule: the largest candidate n from which the model recovers: after zero re-initialisation with n and a short
 * recovery (`probeSteps` plain momentum-SGD steps at the fine-tuning learning rate, `probeBatchSize` images each) on
 * part of the clean set, its accuracy on the held-out rest keeps at least `retain` (default half) of the original
 * model's accuracy above chance (1/numClasses). Candidates are probed from the largest down and the first accepted
 * one is taken, so no monotonicity is assumed and an aggressive n that recovers costs a single probe. The probe uses
 * single-gradient steps because it only asks whether clean accuracy comes back, and they cost half as much as
 * activeness-aware ones. The idea: re-initialise as much of the high-NWC (backdoor-suspect) part of the net as the
 * clean data shows we can afford to rebuild. Nothing here sees poisoned or test data. When no candidate is accepted,
 * the smallest is used and a warning is emitted.
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
  const { train, heldOut } = splitClean(clean, o.auto.heldOutFraction, o.seed + 7);
  const evalOpts = { range: o.range };
  const baseAcc = (await evaluate(model, heldOut, undefined, evalOpts)).acc;
  const stepsPerEpoch = Math.ceil(train.count / o.auto.probeBatchSize);
  const epochs = Math.max(1, Math.round(o.auto.probeSteps / stepsPerEpoch));
  const candidates = [...new Set(o.auto.candidates)].sort((a, b) => b - a);
  const probes: FractionProbe[] = [];
  let chosen: number | undefined;
  for (const fraction of candidates) {
    const probe = cloneModel(model);
    const opt = tf.train.momentum(o.finetune.lr, o.finetune.momentum);
    probe.compile({ optimizer: opt, loss: crossEntropyLoss(output) });
    try {
      applyReinit(probe, reinitMask(scores, fraction, o.weightFraction));
      await fitImageSet(probe, train, {
        epochs,
        batchSize: o.auto.probeBatchSize,
        seed: o.seed + 11,
        augment: o.augment,
        range: o.range,
      });
      const heldOutAcc = (await evaluate(probe, heldOut, undefined, evalOpts)).acc;
      const accepted = recovers(heldOutAcc, baseAcc, clean.numClasses, o.auto.retain);
      probes.push({ fraction, heldOutAcc, accepted });
      events?.emit('fractionProbe', fraction, heldOutAcc, accepted);
      if (accepted) {
        chosen = fraction;
        break;
      }
    } finally {
      disposeOptimizer(opt);
      probe.dispose();
    }
  }
  if (chosen === undefined) {
    chosen = candidates[candidates.length - 1] as number;
    events?.emit(
      'warning',
      `no candidate n kept ${o.auto.retain} of the held-out clean accuracy above chance (${baseAcc.toFixed(3)} before); using the smallest, ${chosen}`,
    );
  }
  return { fraction: chosen, baseAcc, probes };
}
