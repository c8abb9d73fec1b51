import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { registerTrainingKernelsIfWasmLoaded } from '../backend/training_kernels';
import type { HeadShift } from '../callbacks/head_shift';
import { CosineDecay } from '../callbacks/cosine_decay';
import { applyReinit, NwcReinit, reinitMask, type ReinitMask } from '../callbacks/nwc_reinit';
import type { ImageSet } from '../data/image_set';
import type { NwcScores } from '../hooks/nwc';
import type { Phase } from '../events';
import { scorableKernels, unscoredKernelLayers } from '../hooks/scorable_layers';
import { evaluate } from '../metrics/evaluate';
import { cloneModel } from '../models/clone_model';
import { checkFiniteWeights, outputKind } from '../models/output_kind';
import { extrapolateWeights } from '../models/extrapolate_weights';
import { recalibrateBatchNorm } from '../models/recalibrate_batch_norm';
import { fitImageSet } from '../training/fit_image_set';
import { checkCleanSetFits } from './check_clean_set';
import { chooseFraction, type FractionProbe } from './choose_fraction';
import { compileForFinetune, stageHeadShift } from './stage_tools';
import { withOnlyHeadTrainable } from '../models/with_only_head_trainable';
import { invertTrigger } from '../hooks/invert_trigger';
import { unlearn } from './unlearn';
import { resolvePurifyOptions, type PurifyOptions, type ResolvedPurifyOptions } from './tsbd_options';

/** What {@link purify} did, as plain numbers. Accuracies are fractions in [0,1] on the defender's clean set. */
export interface PurifyReport {
  /** The re-initialisation fraction n used. */
  fraction: number;
  fractionSource: 'auto' | 'given';
  /** Candidates tried when n was 'auto' (empty otherwise). */
  probes: FractionProbe[];
  /** Held-out clean accuracy of the n = 0 control, per split, when n was 'auto' (empty otherwise). */
  controlAccs: number[];
  /** Held-out clean accuracy of the model as given, per split, when n was 'auto' (empty otherwise). */
  baseAccs: number[];
  /** Layers with a kernel that NWC cannot score (Conv1D, Conv2DTranspose, Conv3D, ...): left as they are. */
  unscoredLayers: { layer: string; className: string }[];
  /** BatchNorm layers whose moving statistics were re-estimated after fine-tuning (0 when none or off). */
  recalibratedBatchNorm: number;
  /** Neurons ranked (all scored layers) and neurons / kernel weights zeroed. */
  totalNeurons: number;
  neurons: number;
  weights: number;
  unlearn: { epochs: number; stopReason: string };
  cleanAcc: {
    before: number;
    afterUnlearn: number;
    afterReinit: number;
    /** After each fine-tuning epoch. */
    finetuneEpochs: number[];
    after: number;
  };
  /**
   * The output layer re-drawn and held away from the suspect's (PurifyOptions.headShift); null when off. `rows`: how
   * many of its input rows were shifted (PurifyOptions.headShiftRows), null for all. `warmupAccs`: clean accuracy
   * after each epoch of training the re-drawn head alone (PurifyOptions.headWarmup); `releaseAccs`: after each epoch
   * of training it alone, penalty off, at the end (PurifyOptions.headRelease). `cosine`: the final head's cosine with the
   * suspect's.
   */
  headShift: { head: string; weight: number; cosine: number; rows: number | null; warmupAccs: number[]; releaseAccs: number[] } | null;
  /** Stage 3, the move away from the suspect model (see ExtrapolateOptions); null when it did not run. */
  extrapolation: ExtrapolationReport | null;
  /**
   * The trigger inversion (PurifyOptions.invert); null when off. `maskL1`: per class, the smallest mask found, in
   * pixels (NaN where none sent the clean images there); `target`: the class with the smallest, whose mask stamped
   * `stamped` clean images for the fine-tuning (null when no class succeeded).
   */
  inversion: { maskL1: number[]; target: number | null; stamped: number } | null;
  /** Wall time per phase, in seconds. */
  seconds: { invert: number; unlearn: number; select: number; reinit: number; warmup: number; finetune: number; extrapolate: number; release: number; total: number };
  /** The tfjs backend the work ran on. */
  backend: string;
}

/** What {@link purify} returns: a new model (the caller owns and disposes it), the report and the NWC ranking. */
export interface PurifyResult {
  model: tfl.LayersModel;
  report: PurifyReport;
  /** Per-neuron weight change under clean unlearning, ranked; plain data (`toJSON()`, `toCSV()`). */
  scores: NwcScores;
}

/**
 * Removes a backdoor from `model` with TSBD (Lin et al., NeurIPS 2024, arXiv 2405.20291), using only a small clean
 * labelled set: clean unlearning and NWC ranking, zero re-initialisation of the top-n neurons' most-moved weights,
 * then activeness-aware fine-tuning.
 *
 * The input model is never changed: the result is a new model with new variables. It is returned uncompiled in
 * effect (its training optimizer has been disposed): compile it again before training it further.
 *
 * @example
 * const {model: clean, report} = await purify(model, cleanSet, {fraction: 'auto', seed: 1});
 * // report.fraction, report.neurons, report.seconds.total ...
 */
export async function purify(
  model: tfl.LayersModel,
  clean: ImageSet,
  options: PurifyOptions = {},
): Promise<PurifyResult> {
  return purifyWith(model, clean, options, {});
}

/** Internal variations of {@link purify} for the ablations of src/defenses/tsbd_ablations.ts (not public API). */
export interface PurifyVariation {
  /** Replaces the zero re-initialisation mask built from the NWC ranking (e.g. by random weights, same count). */
  remask?: (mask: ReinitMask, scores: NwcScores) => ReinitMask;
}

/** {@link purify} with an optional variation; with none, exactly purify. */
export async function purifyWith(
  model: tfl.LayersModel,
  clean: ImageSet,
  options: PurifyOptions,
  variation: PurifyVariation,
): Promise<PurifyResult> {
  const t0 = performance.now();
  registerTrainingKernelsIfWasmLoaded();
  const { numClasses } = checkCleanSetFits(model, clean);
  checkFiniteWeights(model);
  const output = outputKind(model);
  const o = resolvePurifyOptions(options, numClasses, clean.count, model);
  const events = options.events;
  const seconds = { invert: 0, unlearn: 0, select: 0, reinit: 0, warmup: 0, finetune: 0, extrapolate: 0, release: 0, total: 0 };
  const timed = async <T>(phase: Phase, key: keyof typeof seconds, run: () => Promise<T>): Promise<T> => {
    events?.emit('phaseStart', phase);
    const start = performance.now();
    const result = await run();
    seconds[key] = (performance.now() - start) / 1000;
    events?.emit('phaseEnd', phase, seconds[key]);
    return result;
  };
  const accOf = async (m: tfl.LayersModel): Promise<number> => (await evaluate(m, clean, undefined, { range: o.range })).acc;

  const unscoredLayers = unscoredKernelLayers(model);
  if (unscoredLayers.length > 0) {
    events?.emit(
      'warning',
      `NWC cannot score ${unscoredLayers.map((l) => `${l.layer} (${l.className})`).join(', ')}: they are fine-tuned but never re-initialised`,
    );
  }
  // A layer selection that scores nothing fails here, not after the minutes of the inversion.
  scorableKernels(model, o.layers);
  const before = await accOf(model);
  // The fine-tuning set: the clean images, and with the inversion on, a share of them stamped with its trigger.
  const inversion = o.invert
    ? await timed('invert', 'invert', async () =>
        invertTrigger(model, clean, { ...o.inversion, range: o.range, seed: o.seed, onClass: (cls, l1) => events?.emit('classInverted', cls, l1) }),
      )
    : undefined;
  if (inversion !== undefined && inversion.smallest === undefined) {
    events?.emit('warning', `trigger inversion found no mask that sends ${o.inversion.success} of the clean images to any class; fine-tuning on the clean set alone`);
  }
  const tuneSet = inversion?.tuneSet ?? clean;
  const unlearned = await timed('unlearn', 'unlearn', () => unlearn(model, clean, output, o, events));
  const { scores } = unlearned;
  const { fraction, probes, controlAccs, baseAccs } = await timed('select', 'select', async () =>
    o.fraction === 'auto'
      ? chooseFraction(model, scores, clean, output, o, events)
      : { fraction: o.fraction, probes: [] as FractionProbe[], controlAccs: [] as number[], baseAccs: [] as number[] },
  );

  const purified = cloneModel(model);
  let shift: HeadShift | undefined;
  try {
    const mask = await timed('reinit', 'reinit', async () => {
      const nwcMask = reinitMask(scores, fraction, o.weightFraction);
      const m = variation.remask === undefined ? nwcMask : variation.remask(nwcMask, scores);
      applyReinit(purified, m);
      return m;
    });
    events?.emit('reinitialized', fraction, mask.neurons, mask.weights);
    const afterReinit = await accOf(purified);
    // The head is re-drawn when stage 2's fit begins; the penalty is on in stages 2 and 3.
    shift = stageHeadShift(o, model, scores);

    /**
     * Activeness-aware fine-tuning of `purified` on the clean set; returns its clean accuracy after each epoch. The
     * release is plain SGD with momentum at a constant rate, without the head-shift penalty (PurifyOptions.headRelease).
     */
    const finetune = async (phase: 'warmup' | 'finetune' | 'extrapolate' | 'release', epochs: number, seed: number, callbacks: tfl.Callback[]): Promise<number[]> => {
      const accs: number[] = [];
      const release = phase === 'release';
      const opt = compileForFinetune(purified, output, release ? { ...o.finetune, alpha: 0 } : o.finetune);
      try {
        await fitImageSet(purified, tuneSet, {
          epochs,
          batchSize: o.finetune.batchSize,
          seed,
          augment: o.augment,
          range: o.range,
          callbacks: [
            ...callbacks,
            ...(o.finetune.schedule !== 'constant' && phase !== 'warmup' && !release
              ? [new CosineDecay({ optimizer: opt.inner, lr: o.finetune.lr, epochs, holdEpochs: o.finetune.schedule === 'hold-cosine' ? Math.floor(epochs / 2) : 0 })]
              : []),
            ...(shift === undefined || release ? [] : [shift]),
          ],
          onEpochEnd: async (epoch, loss) => {
            const acc = await accOf(purified);
            accs.push(acc);
            events?.emit('epochEnd', phase, epoch + 1, epochs, loss, acc);
          },
        });
      } finally {
        opt.dispose();
      }
      return accs;
    };
    // After fine-tuning: BN statistics that describe the final weights (see PurifyOptions.recalibrateBatchNorm).
    const recalibrate = (): number => (o.recalibrateBatchNorm ? recalibrateBatchNorm(purified, clean, { range: o.range }) : 0);

    // The re-drawn head learns alone first (see PurifyOptions.headWarmup); its fit is the shift's first, which re-draws it.
    const warmupEpochs =
      shift !== undefined && o.headWarmup > 0 && o.finetune.epochs > 0
        ? await timed('warmup', 'warmup', () => withOnlyHeadTrainable(purified, () => finetune('warmup', o.headWarmup, o.seed + 7, [])))
        : [];
    // finetune.epochs = 0 asks for stage 1 only (tfjs' fit refuses 0 epochs).
    const finetuneEpochs = await timed('finetune', 'finetune', async () =>
      o.finetune.epochs === 0 ? [] : finetune('finetune', o.finetune.epochs, o.seed + 1, o.finetune.keepZero ? [new NwcReinit({ mask, keepZero: true })] : []),
    );
    const recalibrated = o.finetune.epochs > 0 ? recalibrate() : 0;
    const afterFinetune = recalibrated > 0 ? await accOf(purified) : (finetuneEpochs[finetuneEpochs.length - 1] ?? afterReinit);

    // Stage 3 only after a stage 2 (stage 1 alone is asked for as such); no phase events for a stage that does not run.
    let extrapolation: ExtrapolationReport | null = null;
    if (o.extrapolate.factor > 0 && o.finetune.epochs > 0) {
      extrapolation = await timed('extrapolate', 'extrapolate', () =>
        extrapolateAway(purified, model, afterFinetune, o, {
          recover: () => finetune('extrapolate', o.extrapolate.epochs, o.seed + 2, []),
          recalibrate,
          accOf,
          warn: (m) => events?.emit('warning', m),
        }),
      );
    }
    // The head alone, penalty off, on the final features (see PurifyOptions.headRelease).
    const releaseAccs =
      shift !== undefined && o.headRelease > 0 && o.finetune.epochs > 0
        ? await timed('release', 'release', () => withOnlyHeadTrainable(purified, () => finetune('release', o.headRelease, o.seed + 8, [])))
        : [];
    const releaseRecalibrated = releaseAccs.length > 0 && recalibrate() > 0;
    seconds.total = (performance.now() - t0) / 1000;
    const afterStages = extrapolation?.kept === true ? extrapolation.cleanAccAfter : afterFinetune;
    const after = releaseAccs.length === 0 ? afterStages : releaseRecalibrated ? await accOf(purified) : (releaseAccs[releaseAccs.length - 1] as number);
    return {
      model: purified,
      scores,
      report: {
        fraction,
        fractionSource: (options.fraction ?? 'auto') === 'auto' ? 'auto' : 'given',
        probes,
        controlAccs,
        baseAccs,
        unscoredLayers,
        recalibratedBatchNorm: recalibrated,
        totalNeurons: scores.ranking.length,
        neurons: mask.neurons,
        weights: mask.weights,
        unlearn: { epochs: unlearned.epochs, stopReason: unlearned.stopReason },
        cleanAcc: { before, afterUnlearn: unlearned.acc, afterReinit, finetuneEpochs, after },
        headShift:
          shift?.head === undefined
            ? null
            : { head: shift.head, weight: o.headShift, cosine: shift.cosine() ?? Number.NaN, rows: shift.shiftedRows ?? null, warmupAccs: warmupEpochs, releaseAccs },
        extrapolation,
        inversion:
          inversion === undefined
            ? null
            : { maskL1: inversion.maskL1, target: inversion.smallest?.target ?? null, stamped: tuneSet.count - clean.count },
        seconds,
        backend: tf.getBackend(),
      },
    };
  } catch (e) {
    purified.dispose();
    throw e;
  } finally {
    shift?.dispose();
  }
}

/** What stage 3 did. Accuracies are on the defender's clean set, fractions in [0, 1]. */
export interface ExtrapolationReport {
  factor: number;
  epochs: number;
  /** After stage 2, BatchNorm re-estimated: what stage 3 must not lose. */
  cleanAccBefore: number;
  /** After each recovery epoch. */
  cleanAccEpochs: number[];
  /** After the recovery, BatchNorm re-estimated. */
  cleanAccAfter: number;
  /** false: the recovery fell short by more than auto.tolerance, and the stage-2 weights were put back. */
  kept: boolean;
}

/**
 * Stage 3 (not in TSBD): moves the fine-tuned weights further from the suspect model along the line through both,
 * theta <- theta + factor * (theta - theta_suspect) (see extrapolateWeights), then recovers with `extrapolate.epochs`
 * epochs of stage-2 fine-tuning, so that the purification lasts.
 *
 * Why: Min et al. (NeurIPS 2024, arXiv 2410.09838) found that purified models relearn a backdoor from a handful of
 * poisoned images because they stay close to the backdoored model along the path joining them; their PAM takes
 * extra gradient steps that favour points further along that path. The direct move measured better here. On zoo
 * model D2 (conv-BN-GAP), after TSBD with n = 0.2 the retuning attack with 20 poisoned images (`tsbd eval
 * --retune 20`) brought ASR back from 0.003 to 0.874, against 0.448 for the same recipe trained without poison.
 * A PAM-style optimizer (5 epochs, each gradient taken at theta + 0.5 * (theta - theta_suspect)) left it at 0.929.
 * Moving by factor 1 then 5 recovery epochs: ACC 0.858 -> 0.852, ASR 0.004, and the retuning attack reached 0.012
 * (factor 2: 0.838, 0.003). Without the recovery, factor 1 cost 0.14 of ACC. (`bench/zoo_extrapolate.ts`,
 * `bench/results/zoo-extrapolation.jsonl`.) With the default rule on D2 (n = 0.5, 10 recovery epochs): ACC 0.828,
 * ASR 0.006, retuning 0.020 (K = 5) and 0.028 (K = 20), against 0.005 and 0.448 clean-trained. Stopping the
 * recovery as soon as clean accuracy was within auto.tolerance of stage 2's (read with re-estimated BatchNorm
 * statistics) ended it after 5 epochs there and cost 0.008 more test ACC (0.820): the recovery runs all its epochs.
 *
 * Guard: when the recovered clean accuracy is more than `auto.tolerance` below stage 2's, the stage-2 weights are
 * put back and a warning says so. The clean set is what stages 2 and 3 trained on, so this catches a recovery that
 * failed, not a subtle loss.
 */
async function extrapolateAway(
  purified: tfl.LayersModel,
  suspect: tfl.LayersModel,
  cleanAccBefore: number,
  o: ResolvedPurifyOptions,
  steps: {
    recover: () => Promise<number[]>;
    recalibrate: () => number;
    accOf: (m: tfl.LayersModel) => Promise<number>;
    warn: (message: string) => void;
  },
): Promise<ExtrapolationReport> {
  const { factor, epochs } = o.extrapolate;
  const saved = purified.getWeights().map((w) => w.clone());
  try {
    extrapolateWeights(purified, suspect, factor);
    const cleanAccEpochs = await steps.recover();
    const recalibrated = steps.recalibrate();
    const cleanAccAfter = recalibrated > 0 ? await steps.accOf(purified) : (cleanAccEpochs[cleanAccEpochs.length - 1] as number);
    const kept = cleanAccAfter >= cleanAccBefore - o.auto.tolerance - 1e-9;
    if (!kept) {
      purified.setWeights(saved);
      steps.warn(
        `moving away from the suspect model (factor ${factor}) left clean accuracy at ${cleanAccAfter.toFixed(3)} after ${epochs} recovery epochs, more than ${o.auto.tolerance} below ${cleanAccBefore.toFixed(3)}; the fine-tuned weights are kept`,
      );
    }
    return { factor, epochs, cleanAccBefore, cleanAccEpochs, cleanAccAfter, kept };
  } finally {
    tf.dispose(saved);
  }
}
