import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AugmentArgs } from '../data/augment';
import type { ImageSet } from '../data/image_set';
import type { PixelRange } from '../data/tensors';
import { checkNumber } from '../internal/assert';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { outputKind } from '../models/output_kind';
import { fitImageSet } from './fit_image_set';

/** Options of {@link trainClassifier}: a plain supervised recipe (Adam, cross-entropy). */
export interface TrainClassifierArgs {
  /** Passes over the training set. @default 5 */
  epochs?: number;
  /** Images per step. @default 64 */
  batchSize?: number;
  /** Adam learning rate. @default 0.002 */
  lr?: number;
  /** Seeds shuffles and augmentation. @default 0 */
  seed?: number;
  /** Train-time augmentation or false. @default false */
  augment?: AugmentArgs | false;
  /** The values pixel 0 and 255 map to. @default {min: 0, max: 1} */
  range?: PixelRange;
  /** Changes each training batch before it becomes tensors, e.g. an attack that poisons every batch afresh. @default none */
  transformBatch?: (batch: ImageSet) => ImageSet;
  /** Called after each epoch (0-based) with its mean loss and accuracy. */
  onEpochEnd?: (epoch: number, loss: number, acc: number | undefined) => void;
}

/**
 * Trains `model` in place on `set` with Adam and cross-entropy (from logits or probabilities, as the model
 * outputs). Used to make backdoored models for the CLI and the demo; a user's own model is trained by the user.
 */
export async function trainClassifier(model: tfl.LayersModel, set: ImageSet, args: TrainClassifierArgs = {}): Promise<void> {
  const epochs = args.epochs ?? 5;
  const batchSize = args.batchSize ?? 64;
  const lr = args.lr ?? 0.002;
  checkNumber('epochs', epochs, 1, Infinity, { integer: true });
  checkNumber('batchSize', batchSize, 1, Infinity, { integer: true });
  checkNumber('lr', lr, 0, Infinity, { minExclusive: true });
  const optimizer = tf.train.adam(lr);
  try {
    model.compile({ optimizer, loss: crossEntropyLoss(outputKind(model)), metrics: ['accuracy'] });
    await fitImageSet(model, set, {
      epochs,
      batchSize,
      seed: args.seed ?? 0,
      augment: args.augment ?? false,
      range: args.range ?? { min: 0, max: 1 },
      ...(args.onEpochEnd === undefined ? {} : { onEpochEnd: args.onEpochEnd }),
      ...(args.transformBatch === undefined ? {} : { transformBatch: args.transformBatch }),
    });
  } finally {
    disposeOptimizer(optimizer);
  }
}
