import type { AugmentArgs } from '../data/augment';
import type { PixelRange } from '../data/tensors';
import type { TsbdEmitter } from '../events';
import type { LayerSelection } from '../hooks/scorable_layers';
import { checkConfig, checkNumber } from '../internal/assert';

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
  /** Images per step. @default 256, or less so that an epoch has at least 10 steps (see {@link stepBatchSize}) */
  batchSize?: number;
  /** Stop once clean accuracy is at or below this. @default 1 / numClasses (chance; the reference used 0.10) */
  targetAcc?: number;
  /** Stop once this share of clean predictions falls in one class (the net has collapsed). @default 0.99 */
  collapseShare?: number;
  /** Epoch cap. @default 1000 (the reference's) */
  maxEpochs?: number;
}

/** Stage 2: activeness-aware fine-tuning. Defaults are the reference's. */
export interface FinetuneOptions {
  /** Epochs over the clean set. @default 20 */
  epochs?: number;
  /** SGD learning rate. @default 0.01 */
  lr?: number;
  /** SGD momentum. @default 0.9 */
  momentum?: number;
  /** Images per step. @default 256, or less so that an epoch has at least 10 steps (see {@link stepBatchSize}) */
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
}

/** How n is chosen when it is 'auto' (clean data only). */
export interface AutoFractionOptions {
  /** Candidate fractions, probed from the largest down; the first accepted is used. @default [0.05, 0.1, 0.2, 0.3, 0.4, 0.5] */
  candidates?: number[];
  /**
   * A candidate is accepted while, after the short recovery, it keeps at least this share of the original model's
   * held-out accuracy above chance: acc_n - chance >= retain * (acc_0 - chance). @default 0.5
   */
  retain?: number;
  /**
   * Recovery fine-tuning per candidate, in plain (single-gradient) momentum-SGD steps, rounded to whole epochs of the
   * held-in clean images. @default 30. Measured on three backdoored preact-resnet-s models: after 10 steps the
   * recovered accuracy still mostly reflects how much was zeroed (n = 0.2 kept 0.42 of 0.88 on the demo model, n = 0.5
   * 0.26-0.34) and rejected every n that removed the backdoor; after 30 steps it is 0.71-0.82 at n = 0.2-0.5.
   */
  probeSteps?: number;
  /** Images per recovery step. @default 64 */
  probeBatchSize?: number;
  /** Share of the clean set held out to judge recovery. @default 0.2 */
  heldOutFraction?: number;
}

/** Options of {@link purify}. Every field is optional; the defaults follow method.md. */
export interface PurifyOptions {
  /** Fraction n of ranked neurons to re-initialise, or 'auto' to choose it from the clean data. @default 'auto' */
  fraction?: number | 'auto';
  /** Fraction m of the selected neurons' pooled weights that are zeroed. @default 0.7 */
  weightFraction?: number;
  /** Which layers are scored. @default 'auto' (convs, or hidden Dense layers in a model without convs) */
  layers?: LayerSelection;
  /** The values pixel 0 and 255 map to, i.e. the input range the model was trained on. @default {min: 0, max: 1} */
  range?: PixelRange;
  /** Train-time augmentation in both stages, or false. @default false (measured: see README) */
  augment?: AugmentArgs | false;
  /** Seeds every shuffle, split and augmentation. @default 0 */
  seed?: number;
  unlearn?: UnlearnOptions;
  finetune?: FinetuneOptions;
  auto?: AutoFractionOptions;
  /** Receives progress and results as typed events. */
  events?: TsbdEmitter;
}

/** PurifyOptions with every default filled in. */
export interface ResolvedPurifyOptions {
  fraction: number | 'auto';
  weightFraction: number;
  layers: LayerSelection;
  range: PixelRange;
  augment: AugmentArgs | false;
  seed: number;
  unlearn: Required<UnlearnOptions>;
  finetune: Required<FinetuneOptions>;
  auto: Required<AutoFractionOptions>;
}

/** Fills in defaults and validates every option; throws ConfigError naming the first bad one. */
/**
 * The default batch size for a clean set of `count` images: the reference's 256, or less so that an epoch still has
 * at least 10 steps, as the reference's 2,500-image clean set (5% of CIFAR-10) has at 256. On small clean sets a
 * fixed 256 would leave a handful of steps per epoch: measured on 800 images, unlearning at lr 1e-4 barely moved in
 * 13 epochs of 4 steps.
 */
export function stepBatchSize(count: number): number {
  return Math.max(16, Math.min(256, Math.ceil(count / 10)));
}

export function resolvePurifyOptions(o: PurifyOptions, numClasses: number, cleanCount: number): ResolvedPurifyOptions {
  const u = o.unlearn ?? {};
  const f = o.finetune ?? {};
  const a = o.auto ?? {};
  const r: ResolvedPurifyOptions = {
    fraction: o.fraction ?? 'auto',
    weightFraction: o.weightFraction ?? 0.7,
    layers: o.layers ?? 'auto',
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
      epochs: f.epochs ?? 20,
      lr: f.lr ?? 0.01,
      momentum: f.momentum ?? 0.9,
      batchSize: f.batchSize ?? stepBatchSize(cleanCount),
      rho: f.rho ?? 0.05,
      alpha: f.alpha ?? 0.7,
      normalize: f.normalize ?? 'per-tensor',
      keepZero: f.keepZero ?? false,
    },
    auto: {
      candidates: a.candidates ?? [0.05, 0.1, 0.2, 0.3, 0.4, 0.5],
      retain: a.retain ?? 0.5,
      probeSteps: a.probeSteps ?? 30,
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
  checkConfig(
    r.finetune.normalize === 'global' || r.finetune.normalize === 'per-tensor',
    () => `finetune.normalize must be 'global' or 'per-tensor'; received ${String(r.finetune.normalize)}`,
  );
  checkConfig(
    Array.isArray(r.auto.candidates) && r.auto.candidates.length > 0,
    () => 'auto.candidates must be a non-empty array of fractions in (0, 1]',
  );
  for (const c of r.auto.candidates) checkNumber('auto.candidates[]', c, 0, 1, { minExclusive: true });
  checkNumber('auto.retain', r.auto.retain, 0, 1);
  checkNumber('auto.probeSteps', r.auto.probeSteps, 1, Infinity, { integer: true });
  checkNumber('auto.probeBatchSize', r.auto.probeBatchSize, 1, Infinity, { integer: true });
  checkNumber('auto.heldOutFraction', r.auto.heldOutFraction, 0, 1, { minExclusive: true, maxExclusive: true });
  return r;
}
