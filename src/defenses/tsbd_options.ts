import type { AugmentArgs } from '../data/augment';
import type { PixelRange } from '../data/tensors';
import type { TsbdEmitter } from '../events';
import type * as tfl from '@tensorflow/tfjs-layers';
import { hasHiddenDenseHead, scorableKernels, type LayerSelection } from '../hooks/scorable_layers';
import { rowFeedingLayer } from './stage_tools';
import { DEFAULT_HEAD_SHIFT } from '../regularizers/head_shift';
import { checkConfig, checkNumber } from '../internal/assert';
import { resolveInversionOptions, type InversionOptions, type ResolvedInversionOptions } from './trigger_inversion';

/** Stage 1a: clean unlearning (gradient ascent on the clean set). Defaults are the reference's. */
export interface UnlearnOptions {
  /**
   * SGD learning rate of the gradient ascent. @default 0.01. Porting note: the reference uses 1e-4 on PreAct-ResNet18
   * (11M parameters). Measured on preact-resnet-s (78k) with 800 clean Fashion-MNIST images: at 0.01 clean accuracy
   * reaches chance after 2 epochs; at 1e-4, 20 epochs took it only from 0.848 to 0.759.
   */
  lr?: number;
  /** SGD momentum. @default 0.9 */
  momentum?: number;
  /** Images per step. @default 256, or less so that an epoch has at least 10 steps (see `stepBatchSize`) */
  batchSize?: number;
  /** Stop once clean accuracy is at or below this. @default 1 / numClasses (chance; the reference used 0.10) */
  targetAcc?: number;
  /** Stop once this share of clean predictions falls in one class (the net has collapsed). @default 0.99 */
  collapseShare?: number;
  /** Epoch cap. @default 1000 (the reference's) */
  maxEpochs?: number;
}

/** How the fine-tuning learning rate runs over a fit: see {@link FinetuneOptions.schedule}. */
export type FinetuneSchedule = 'constant' | 'cosine' | 'hold-cosine';
/** Every {@link FinetuneSchedule}, for validation and the CLI's choices. */
export const FINETUNE_SCHEDULES: readonly FinetuneSchedule[] = ['constant', 'cosine', 'hold-cosine'];

/** Stage 2: activeness-aware fine-tuning. Defaults are the reference's. */
export interface FinetuneOptions {
  /**
   * Epochs over the clean set. @default 20 (the reference's), or 40 (`HEAD_SHIFT_EPOCHS`) when the head shift
   * is on: a re-drawn head held away from the suspect's must be learned again and the features moved to suit it,
   * which the reference's 20 epochs (about 240 steps on 3,000 images) left unfinished. Measured (test ACC / ASR, n
   * 0.05 each): zoo D3 0.865 / 0.026 -> 0.867 / 0.001, D4 0.835 / 0.043 -> 0.840 / 0.034, and a mnist-node model
   * (0.879 / 0.983 before) 0.772 / 0.099 -> 0.815 / 0.044, its own clean images reaching 0.839 instead of 0.766
   * after stage 2 (docs/foreign-models.md).
   */
  epochs?: number;
  /** SGD learning rate. @default 0.01 */
  lr?: number;
  /** SGD momentum. @default 0.9 */
  momentum?: number;
  /** Images per step. @default 256, or less so that an epoch has at least 10 steps (see `stepBatchSize`) */
  batchSize?: number;
  /** Perturbation radius r of the gradient-norm step. @default 0.05 */
  rho?: number;
  /** Weight alpha of the perturbed gradient. @default 0.7 */
  alpha?: number;
  /**
   * How the perturbation is normalised: 'per-tensor' (each tensor by its own norm, as the reference code; the total
   * step is r*sqrt(#tensors)) or 'global' (the paper's math). @default 'per-tensor', the reference's form. Measured on
   * the demo's model (preact-resnet-s, 800 clean images, n = 0.3): ACC / ASR 0.808 / 0.963 before, 0.829 / 0.036
   * per-tensor, 0.818 / 0.037 global (one seed each).
   */
  normalize?: 'global' | 'per-tensor';
  /** Keep the zeroed weights at zero during fine-tuning. @default false (the reference lets them regrow) */
  keepZero?: boolean;
  /**
   * Learning rate over each fine-tuning fit (stage 2, and stage 3's recovery; not the head warm-up): 'constant' at
   * `lr` (the reference's); 'cosine', falling from `lr` towards 0 along a half cosine by epoch
   * (callbacks.CosineDecay); or 'hold-cosine', `lr` for the first half of the fit's epochs and the half cosine over
   * the second (CosineDecay's `holdEpochs`). Why decay: the last epochs at the full rate leave the weights wandering
   * around the clean minimum; decayed, they settle. Why hold first: a decay from the first epoch covers half the
   * distance, which left the under-trained zoo model D1 further from its clean data. Measured on the development
   * half (test ACC / ASR, constant; cosine; hold-cosine; n 0.05 each): D1 (math seed 1) 0.825 / 0.012; 0.802 /
   * 0.016; 0.819 / 0.014; D3 0.871 / 0.064; 0.873 / 0.003; 0.872 / 0.0003; D4 (math seeds 1, 2) 0.838 / 0.037 and
   * 0.838 / 0.036; 0.838 / 0.026 and 0.837 / 0.029; 0.839 / 0.019 and 0.841 / 0.025. But on the purify_cli
   * example's small-cnn (0.842 / 0.970) hold-cosine left ASR 0.136 (ACC 0.8275), cosine 0.0956 (0.8225), constant
   * 0.141 (0.8235): a backdoor left in place weighs more than 0.017 of ACC on an under-trained model, so 'cosine'
   * stays the default (docs/foreign-models.md). purify only: a job wrapped by tsbdFinetune runs the team's own fit,
   * where `callbacks.cosineDecay` does the same. @default 'cosine'
   */
  schedule?: FinetuneSchedule;
}

/**
 * Stage 3 (not in TSBD; issue 10, lasting purification): after stage 2 the weights are moved further along the line
 * from the suspect model through the fine-tuned ones, theta <- theta + factor * (theta - theta_suspect), and
 * recovered by `epochs` epochs of stage-2 fine-tuning (same optimizer, learning rate and batch size). See
 * `extrapolateAway` for why and what was measured.
 */
export interface ExtrapolateOptions {
  /** How far past the fine-tuned weights, as a multiple of their displacement from the suspect model; 0 skips the stage. @default 1 */
  factor?: number;
  /** Recovery epochs of activeness-aware fine-tuning after the move (half of stage 2's default 20). @default 10 */
  epochs?: number;
}

/** How n is chosen when it is 'auto' (clean data only; see chooseFraction). */
export interface AutoFractionOptions {
  /**
   * Candidate fractions: the largest is probed first, then the others by bisection; the largest accepted is used.
   * @default [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]
   */
  candidates?: number[];
  /**
   * A candidate is accepted when its predicted cost (held-out clean accuracy below the lower of the n = 0 control's
   * under the same recovery and the model's as given, mean over splits, extrapolated from halfway and the end of the
   * recovery: see predictCost) is at most this, as a fraction.
   * @default 0.02
   */
  tolerance?: number;
  /** Disjoint held-out parts the probes are averaged over. @default 2 */
  splits?: number;
  /**
   * Recovery fine-tuning per probe, in plain (single-gradient) momentum-SGD steps at the fine-tuning learning rate,
   * rounded to whole epochs of the split's training part, at least 2 (accuracy is also read halfway). @default 60
   */
  probeSteps?: number;
  /** Images per recovery step. @default 64 */
  probeBatchSize?: number;
  /** Share of the clean set each split holds out. @default 0.2 */
  heldOutFraction?: number;
}

/** Options of {@link purify}. Every field is optional; the defaults follow method.md. */
export interface PurifyOptions {
  /**
   * Fraction n of ranked neurons to re-initialise, or 'auto' to choose it from the clean data; where the trigger
   * inversion runs (see `invert`), 'auto' gives 0. @default 'auto'
   */
  fraction?: number | 'auto';
  /** Fraction m of the selected neurons' pooled weights that are zeroed. @default 0.7 */
  weightFraction?: number;
  /** Which layers are scored. @default 'auto' (see {@link LayerSelection}) */
  layers?: LayerSelection;
  /** NWC as each neuron's change relative to its weight norm (see NwcOptions.relative). @default false */
  relativeNwc?: boolean;
  /**
   * Re-estimate BatchNorm moving statistics on the clean set after fine-tuning (the final model, and every probe of
   * the automatic n after its recovery). @default true. Porting note: the reference does not. Measured on a
   * conv-BN-GAP model trained with tfjs' default BN momentum 0.99 (zoo D2): after zeroing and 2 epochs of recovery the
   * stale statistics gave held-out accuracy 0.19-0.66, not even monotone in n. Re-estimating BEFORE fine-tuning is
   * not done: it gave the backdoor back (ASR 0.004 -> 1.0 at n = 0.05, before any fine-tuning).
   */
  recalibrateBatchNorm?: boolean;
  /** The values pixel 0 and 255 map to, i.e. the input range the model was trained on. @default {min: 0, max: 1} */
  range?: PixelRange;
  /** Train-time augmentation in both stages, or false. @default false (measured: see README) */
  augment?: AugmentArgs | false;
  /** Seeds every shuffle, split and augmentation. @default 0 */
  seed?: number;
  unlearn?: UnlearnOptions;
  finetune?: FinetuneOptions;
  extrapolate?: ExtrapolateOptions;
  /**
   * Head shift (not in TSBD; see callbacks.HeadShift): the output Dense kernel is re-drawn when stage 2 begins, and
   * weight * cos(K, K0) is added to the loss of stages 2 and 3 and of the n probes. A weight >= 0 (0 = off), or
   * 'auto': 3 when a hidden Dense layer feeds the output layer (an MLP, or convolutions flattened into a Dense
   * layer: where zeroing left the backdoor, docs/foreign-models.md) and the trigger inversion is off (see `invert`),
   * else 0. Set it (3) on other nets too when the
   * purified model may be fine-tuned again on data you do not control: it made the purification last against the
   * retuning attack where 'auto' did not (demo model, 20 poisoned images: ASR 0.062 against 0.126), at 0.03-0.05
   * ACC on two of three such nets (README, "Does the purification last?"). Those runs had no head warm-up
   * (`headWarmup: 0`), which held-out model H1 needed to last (K = 20: 0.022 without it, 0.200 with it). @default 'auto'
   */
  headShift?: number | 'auto';
  /**
   * Share of the head's inputs whose rows the head shift re-draws and pushes away, in (0, 1]: the units of the hidden
   * Dense layer that feeds the output layer, taken in the order of their NWC scores (highest first). 1 shifts the
   * whole head, as FST does. Why less: the shift's accuracy price comes from re-learning every class's head, while
   * the trigger drives the units that clean unlearning moves most. Measured on the development half (scratch form,
   * test ACC / ASR, docs/foreign-models.md): a mnist-node model (0.886 / 0.986) 0.779 / 0.101 with the whole head,
   * 0.874 / 0.044 with the top 0.5; zoo D4 0.840 / 0.034 against 0.850-0.853 / 0.042-0.066 at 0.3 (the bottom 0.3 of
   * the ranking left 0.46, a random 0.3 0.20-0.26). Not the default: at 0.3 D1 kept its backdoor (0.281), and D3
   * lost accuracy (0.845-0.857 against 0.867). @default 1
   */
  headShiftRows?: number;
  /**
   * Epochs in which, with the head shift on, the re-drawn output layer is trained alone (every other layer frozen,
   * the penalty on) before stage 2 fine-tunes the whole net; 0 = none. Why: a head re-drawn at random, at the old
   * kernel's norm, sends large random gradients into the features, and stage 2's first epochs destroyed what they
   * had learned. On a mnist-node model (test ACC 0.886 before) the defender's clean images stood at 0.10-0.13 for
   * stage 2's first three epochs and reached only 0.82 after 40; with 5 epochs of the head alone first they began
   * at 0.82 and ended at 0.90, and test ACC after stage 2 rose from 0.790 to 0.865 at ASR 0.059 (n 0.05, without
   * stage 3; docs/foreign-models.md). The candidate probes of `fraction: 'auto'` do not warm the head: they still
   * measure the cost of zeroing and shifting without it, which is the larger one. @default 5
   */
  headWarmup?: number;
  /**
   * Epochs in which, with the head shift on, the output layer is trained alone once more after stage 3 (every other
   * layer frozen), without the penalty and without the gradient-norm term, at finetune.lr held constant; 0 = none.
   * Why: the penalty holds the head near the opposite of the suspect's (cosine -0.73 to -0.92 on the development
   * models, -0.99 on H1), which is what moves the features off the trigger, but it also keeps the head from the best
   * fit to the features it leaves; on frozen features the head learns what clean images show it. Measured after the default purify on the development half
   * (math seed 1, test ACC / ASR before -> after 20 epochs; docs/foreign-models.md): D6 0.813 / 0.024 -> 0.826 /
   * 0.021, D7 0.840 / 0.176 -> 0.847 / 0.189, D4 0.840 / 0.036 -> 0.844 / 0.024, D3 0.8695 / 0.0007 -> 0.874 / 0.054
   * (in a second run 0.869 / 0.041 -> 0.873 / 0.052 with the head's cosine held where the penalty left it). Not the
   * default: through purify itself D6 gained only 0.003 (0.8155 / 0.012), the fit_with_tsbd example lost 0.012, and
   * on the held-out half (run once, at 20 by default) the drops stayed over 0.02 (H1 0.039, H3 0.030, H6 0.027;
   * 0.045, 0.030, 0.030 without) while H6's ASR was 0.158 (0.080 without; its dropout makes runs differ).
   * @default 0
   */
  headRelease?: number;
  /**
   * Trigger inversion (not in TSBD; Neural Cleanse's mitigation, see defenses/trigger_inversion.ts): before stage 1,
   * each class's smallest mask and pattern that send other-class clean images to it are found; the smallest of them
   * is taken as the trigger, and `inversion.share` of the clean set, stamped with it under its own labels, joins the
   * clean images in the fine-tuning of stages 2 and 3. Where it runs, the head shift and the zeroing are off unless set
   * (`headShift: 'auto'` gives 0, `fraction: 'auto'` gives 0): they cost the accuracy that issue 10 measured, and
   * the stamped images remove the backdoor without them. true, false, or 'auto': on where a hidden Dense layer feeds
   * the output layer (where the head shift was on). Measured on the development half (math seed 1, test ACC / ASR,
   * then ASR after the retuning attack K = 5 / 20; docs/foreign-models.md): D6 0.813 / 0.024; 0.024 / 0.028 with the
   * head shift, 0.843 / 0.011; 0.021 / 0.045 with the inversion. @default 'auto'
   */
  invert?: boolean | 'auto';
  /** Settings of the trigger inversion (see {@link InversionOptions}). */
  inversion?: InversionOptions;
  auto?: AutoFractionOptions;
  /** Receives progress and results as typed events. */
  events?: TsbdEmitter;
}

/** PurifyOptions with every default filled in. */
export interface ResolvedPurifyOptions {
  fraction: number | 'auto';
  weightFraction: number;
  layers: LayerSelection;
  relativeNwc: boolean;
  recalibrateBatchNorm: boolean;
  range: PixelRange;
  augment: AugmentArgs | false;
  seed: number;
  unlearn: Required<UnlearnOptions>;
  finetune: Required<FinetuneOptions>;
  extrapolate: Required<ExtrapolateOptions>;
  headShift: number;
  headShiftRows: number;
  headWarmup: number;
  headRelease: number;
  invert: boolean;
  inversion: ResolvedInversionOptions;
  auto: Required<AutoFractionOptions>;
}

/**
 * The default batch size for a clean set of `count` images: the reference's 256, or less so that an epoch still has
 * at least 10 steps, as the reference's 2,500-image clean set (5% of CIFAR-10) has at 256. On small clean sets a
 * fixed 256 would leave a handful of steps per epoch: measured on 800 images, unlearning at lr 1e-4 barely moved in
 * 13 epochs of 4 steps.
 */
export function stepBatchSize(count: number): number {
  return Math.max(16, Math.min(256, Math.ceil(count / 10)));
}

/** The head-shift weight 'auto' gives: see PurifyOptions.headShift. */
export const AUTO_HEAD_SHIFT = DEFAULT_HEAD_SHIFT;

/** Stage 2's default epochs when the head shift is on (see FinetuneOptions.epochs). */
export const HEAD_SHIFT_EPOCHS = 40;

/** Epochs of training the re-drawn head alone before stage 2 (see PurifyOptions.headWarmup). */
export const HEAD_WARMUP_EPOCHS = 5;

/** Epochs of training the output layer alone, penalty off, after stage 3 (see PurifyOptions.headRelease). */
export const HEAD_RELEASE_EPOCHS = 0;

/**
 * Fills in defaults and validates every option; throws ConfigError naming the first bad one.
 * @param model the model to be purified, for the options whose 'auto' reads its layers (headShift); without it,
 *   'auto' head shift is off.
 */
export function resolvePurifyOptions(o: PurifyOptions, numClasses: number, cleanCount: number, model?: tfl.LayersModel): ResolvedPurifyOptions {
  const shift = o.headShift ?? 'auto';
  const u = o.unlearn ?? {};
  const f = o.finetune ?? {};
  const a = o.auto ?? {};
  const x = o.extrapolate ?? {};
  const denseHead = model !== undefined && hasHiddenDenseHead(model);
  const inv = o.invert ?? 'auto';
  const invert = inv === 'auto' ? denseHead : inv;
  const headShift = shift === 'auto' ? (denseHead && !invert ? AUTO_HEAD_SHIFT : 0) : shift;
  const r: ResolvedPurifyOptions = {
    fraction: invert && (o.fraction ?? 'auto') === 'auto' ? 0 : (o.fraction ?? 'auto'),
    weightFraction: o.weightFraction ?? 0.7,
    layers: o.layers ?? 'auto',
    relativeNwc: o.relativeNwc ?? false,
    recalibrateBatchNorm: o.recalibrateBatchNorm ?? true,
    range: o.range ?? { min: 0, max: 1 },
    augment: o.augment ?? false,
    seed: o.seed ?? 0,
    unlearn: {
      lr: u.lr ?? 0.01,
      momentum: u.momentum ?? 0.9,
      batchSize: u.batchSize ?? stepBatchSize(cleanCount),
      targetAcc: u.targetAcc ?? 1 / numClasses,
      collapseShare: u.collapseShare ?? 0.99,
      maxEpochs: u.maxEpochs ?? 1000,
    },
    finetune: {
      epochs: f.epochs ?? (headShift > 0 ? HEAD_SHIFT_EPOCHS : 20),
      lr: f.lr ?? 0.01,
      momentum: f.momentum ?? 0.9,
      batchSize: f.batchSize ?? stepBatchSize(cleanCount),
      rho: f.rho ?? 0.05,
      alpha: f.alpha ?? 0.7,
      normalize: f.normalize ?? 'per-tensor',
      keepZero: f.keepZero ?? false,
      schedule: f.schedule ?? 'cosine',
    },
    extrapolate: {
      factor: x.factor ?? 1,
      epochs: x.epochs ?? 10,
    },
    headShift,
    headShiftRows: o.headShiftRows ?? 1,
    headWarmup: o.headWarmup ?? HEAD_WARMUP_EPOCHS,
    headRelease: o.headRelease ?? HEAD_RELEASE_EPOCHS,
    invert,
    inversion: resolveInversionOptions(o.inversion),
    auto: {
      candidates: a.candidates ?? [0.05, 0.1, 0.2, 0.3, 0.4, 0.5],
      tolerance: a.tolerance ?? 0.02,
      splits: a.splits ?? 2,
      probeSteps: a.probeSteps ?? 60,
      probeBatchSize: a.probeBatchSize ?? 64,
      heldOutFraction: a.heldOutFraction ?? 0.2,
    },
  };
  if (r.fraction !== 'auto') checkNumber('fraction', r.fraction, 0, 1);
  checkNumber('weightFraction', r.weightFraction, 0, 1);
  checkConfig(
    ['auto', 'conv', 'conv+dense'].includes(r.layers),
    () => `layers must be 'auto', 'conv' or 'conv+dense'; received ${String(r.layers)}`,
  );
  checkConfig(
    Number.isFinite(r.range.min) && Number.isFinite(r.range.max) && r.range.min !== r.range.max,
    () => `range must have finite, distinct min and max; received ${JSON.stringify(r.range)}`,
  );
  checkNumber('seed', r.seed, 0, 2 ** 32, { integer: true });
  checkNumber('unlearn.lr', r.unlearn.lr, 0, Infinity, { minExclusive: true });
  checkNumber('unlearn.momentum', r.unlearn.momentum, 0, 1, { maxExclusive: true });
  checkNumber('unlearn.batchSize', r.unlearn.batchSize, 1, Infinity, { integer: true });
  checkNumber('unlearn.targetAcc', r.unlearn.targetAcc, 0, 1);
  checkNumber('unlearn.collapseShare', r.unlearn.collapseShare, 0, 1, { minExclusive: true });
  checkNumber('unlearn.maxEpochs', r.unlearn.maxEpochs, 1, Infinity, { integer: true });
  checkNumber('finetune.epochs', r.finetune.epochs, 0, Infinity, { integer: true });
  checkNumber('finetune.lr', r.finetune.lr, 0, Infinity, { minExclusive: true });
  checkNumber('finetune.momentum', r.finetune.momentum, 0, 1, { maxExclusive: true });
  checkNumber('finetune.batchSize', r.finetune.batchSize, 1, Infinity, { integer: true });
  checkNumber('finetune.rho (r)', r.finetune.rho, 0, Infinity, { minExclusive: true });
  checkNumber('finetune.alpha', r.finetune.alpha, 0, 1);
  checkNumber('extrapolate.factor', r.extrapolate.factor, 0, Infinity);
  checkConfig(shift === 'auto' || typeof shift === 'number', () => `headShift must be 'auto' or a weight >= 0; received ${String(shift)}`);
  checkNumber('headShift', r.headShift, 0, Infinity);
  checkNumber('headShiftRows', r.headShiftRows, 0, 1, { minExclusive: true });
  checkNumber('headWarmup', r.headWarmup, 0, Infinity, { integer: true });
  checkNumber('headRelease', r.headRelease, 0, Infinity, { integer: true });
  checkConfig(inv === 'auto' || typeof inv === 'boolean', () => `invert must be true, false or 'auto'; received ${String(inv)}`);
  if (model !== undefined && r.headShift > 0 && r.headShiftRows < 1) checkHeadRowsRankable(model, r.layers);
  checkNumber('extrapolate.epochs', r.extrapolate.epochs, 1, Infinity, { integer: true });
  checkConfig(
    r.finetune.normalize === 'global' || r.finetune.normalize === 'per-tensor',
    () => `finetune.normalize must be 'global' or 'per-tensor'; received ${String(r.finetune.normalize)}`,
  );
  checkConfig(
    (FINETUNE_SCHEDULES as readonly string[]).includes(r.finetune.schedule),
    () => `finetune.schedule must be ${FINETUNE_SCHEDULES.map((x) => `'${x}'`).join(', ')}; received ${String(r.finetune.schedule)}`,
  );
  checkConfig(
    Array.isArray(r.auto.candidates) && r.auto.candidates.length > 0,
    () => 'auto.candidates must be a non-empty array of fractions in (0, 1]',
  );
  for (const c of r.auto.candidates) checkNumber('auto.candidates[]', c, 0, 1, { minExclusive: true });
  checkNumber('auto.tolerance', r.auto.tolerance, 0, 1);
  checkNumber('auto.splits', r.auto.splits, 1, Infinity, { integer: true });
  if (r.fraction === 'auto') {
    const k = Math.max(1, Math.round(r.auto.heldOutFraction * cleanCount));
    checkConfig(
      r.auto.splits * k < cleanCount,
      () => `auto.splits ${r.auto.splits} disjoint held-out parts of ${k} images need more than ${r.auto.splits * k} clean images; the clean set has ${cleanCount}`,
    );
  }
  checkConfig(typeof r.relativeNwc === 'boolean', () => `relativeNwc must be a boolean; received ${String(r.relativeNwc)}`);
  checkConfig(typeof r.recalibrateBatchNorm === 'boolean', () => `recalibrateBatchNorm must be a boolean; received ${String(r.recalibrateBatchNorm)}`);
  checkNumber('auto.probeSteps', r.auto.probeSteps, 1, Infinity, { integer: true });
  checkNumber('auto.probeBatchSize', r.auto.probeBatchSize, 1, Infinity, { integer: true });
  checkNumber('auto.heldOutFraction', r.auto.heldOutFraction, 0, 1, { minExclusive: true, maxExclusive: true });
  return r;
}

/**
 * headShiftRows < 1 ranks the units of the hidden Dense layer feeding the output layer by their NWC scores, so that
 * layer must exist and be among those `layers` scores. Checked here, at option time, so that a wrong setting fails
 * before the minutes of unlearning rather than after them (stage_tools' headShiftRows checks the same on the scores).
 */
function checkHeadRowsRankable(model: tfl.LayersModel, layers: LayerSelection): void {
  const name = rowFeedingLayer(model).name;
  checkConfig(
    scorableKernels(model, layers).some((k) => k.layerName === name),
    () => `headShiftRows < 1 ranks the units of '${name}', which layers '${layers}' does not score (use 'auto' or 'conv+dense')`,
    { option: 'headShiftRows', layer: name },
  );
}
