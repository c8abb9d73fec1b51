import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { recalibrateBatchNorm } from '../models/recalibrate_batch_norm';
import { cloneModel } from '../models/clone_model';
import { GradNormOptimizer } from '../optimizers/grad_norm';
import { fitImageSet } from '../training/fit_image_set';
import type { OptionSpec } from './defense';
import type { ResolvedOptions } from './defense_options';
import type { DefenseRun } from './defense_run';
import { type TrainStep, trainLoop } from './train_loop';

/**
 * The fine-tuning options every fine-tuning defense shares. Defaults are TSBD's stage 2 (the reference's: 20 epochs,
 * SGD lr 0.01, momentum 0.9), so that a baseline and TSBD train for the same number of steps on the same data.
 */
export const FINETUNE_OPTIONS: readonly OptionSpec[] = [
  { name: 'epochs', type: 'integer', default: 20, min: 1, doc: 'fine-tuning epochs over the clean set (TSBD stage 2: 20)' },
  { name: 'lr', type: 'number', default: 0.01, min: 0, doc: 'SGD learning rate' },
  { name: 'momentum', type: 'number', default: 0.9, min: 0, max: 0.999, doc: 'SGD momentum' },
  { name: 'batch-size', type: 'integer', default: 0, min: 0, doc: 'images per step; 0 = 256, or less so that an epoch has 10 steps (as purify)' },
  {
    name: 'recalibrate-bn',
    type: 'boolean',
    default: true,
    doc: "re-estimate BatchNorm statistics on the clean set after fine-tuning (tfjs' BN momentum 0.99 leaves them stale after a short fine-tuning; PyTorch's 0.1 does not)",
  },
];

/** Batch size for `option` 0 = automatic: 256, or less so that an epoch has at least 10 steps (purify's rule). */
export function autoBatchSize(option: number, count: number): number {
  return option > 0 ? option : Math.max(16, Math.min(256, Math.ceil(count / 10)));
}

/** How {@link finetuneOnClean} trains. */
export interface CleanFinetune {
  epochs: number;
  lr: number;
  momentum: number;
  batchSize: number;
  recalibrateBatchNorm: boolean;
  /** Sharpness-aware steps (Foret et al. 2021) with this radius, globally normalised; undefined = plain SGD. */
  samRho?: number;
  /** Seed offset added to the run's seed for the shuffles. @default 1 */
  seedOffset?: number;
}

/** Reads {@link FINETUNE_OPTIONS} from resolved options. */
export function finetuneFromOptions(o: ResolvedOptions, count: number): CleanFinetune {
  return {
    epochs: o.number('epochs'),
    lr: o.number('lr'),
    momentum: o.number('momentum'),
    batchSize: autoBatchSize(o.number('batch-size'), count),
    recalibrateBatchNorm: o.boolean('recalibrate-bn'),
  };
}

/**
 * Fine-tunes `model` in place on the run's clean set with cross-entropy and momentum SGD (or SAM), then re-estimates
 * BatchNorm statistics when asked. The optimizer is made and disposed here; the model is left compiled with a
 * disposed optimizer: compile it again before training it further.
 * @returns clean accuracy after each epoch, and after the BatchNorm re-estimation (null when the model has no
 * BatchNorm or it was off).
 */
export async function finetuneOnClean(
  model: tfl.LayersModel,
  run: DefenseRun,
  f: CleanFinetune,
): Promise<{ epochAccs: number[]; recalibratedAcc: number | null }> {
  const inner = tf.train.momentum(f.lr, f.momentum);
  const sam = f.samRho === undefined ? undefined : new GradNormOptimizer(inner, { rho: f.samRho, alpha: 1, normalize: 'global' });
  model.compile({ optimizer: sam ?? inner, loss: crossEntropyLoss(run.output) });
  const accs: number[] = [];
  try {
    await fitImageSet(model, run.clean, {
      epochs: f.epochs,
      batchSize: f.batchSize,
      seed: run.seed + (f.seedOffset ?? 1),
      augment: false,
      range: run.range,
      onEpochEnd: async (epoch, loss) => {
        const acc = await run.cleanAcc(model);
        accs.push(acc);
        run.events?.emit('epochEnd', 'finetune', epoch + 1, f.epochs, loss, acc);
      },
    });
  } finally {
    sam?.dispose();
    disposeOptimizer(inner);
  }
  const recalibrated = f.recalibrateBatchNorm && recalibrateBatchNorm(model, run.clean, { range: run.range }) > 0;
  return { epochAccs: accs, recalibratedAcc: recalibrated ? await run.cleanAcc(model) : null };
}

/**
 * Fine-tunes a copy of `model` on the run's clean set with a step that `fit` cannot express (FT-SAM's adaptive
 * perturbation, PAM's offset gradient), under momentum SGD with `f`'s schedule, then re-estimates BatchNorm statistics
 * when asked. `makeStep` gets the copy and the optimizer and returns the step, and what to dispose when training ends.
 * The optimizer is disposed here; the copy is disposed if anything throws, and returned otherwise.
 */
export async function finetuneCopyWithStep(
  model: tfl.LayersModel,
  run: DefenseRun,
  f: CleanFinetune,
  makeStep: (copy: tfl.LayersModel, optimizer: tf.Optimizer) => { step: TrainStep; dispose?: () => void },
): Promise<{ model: tfl.LayersModel; chose: { batchSize: number; epochAccs: number[]; recalibratedBatchNorm: boolean } }> {
  const copy = cloneModel(model);
  const optimizer = tf.train.momentum(f.lr, f.momentum);
  let made: { step: TrainStep; dispose?: () => void } | undefined;
  try {
    made = makeStep(copy, optimizer);
    const step = made.step;
    const epochAccs = await run.phase('finetune', () =>
      trainLoop(copy, run, { phase: 'finetune', epochs: f.epochs, batchSize: f.batchSize, seedOffset: f.seedOffset ?? 1 }, step),
    );
    const recalibrated = f.recalibrateBatchNorm && recalibrateBatchNorm(copy, run.clean, { range: run.range }) > 0;
    return { model: copy, chose: { batchSize: f.batchSize, epochAccs, recalibratedBatchNorm: recalibrated } };
  } catch (e) {
    copy.dispose();
    throw e;
  } finally {
    made?.dispose?.();
    disposeOptimizer(optimizer);
  }
}
