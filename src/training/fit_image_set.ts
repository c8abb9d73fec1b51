import * as tfl from '@tensorflow/tfjs-layers';
import type { AugmentArgs } from '../data/augment';
import { batchDataset, type BatchDatasetArgs } from '../data/batch_dataset';
import type { ImageSet } from '../data/image_set';
import type { PixelRange } from '../data/tensors';
import { readLog, type AnyLogs } from '../internal/logs';

/** Options of {@link fitImageSet}. */
export interface FitImageSetArgs {
  /** Number of passes over the set. */
  epochs: number;
  /** Images per gradient step. */
  batchSize: number;
  /** Seeds the per-epoch shuffle and augmentation. */
  seed: number;
  /** Train-time augmentation, or false for none. */
  augment: AugmentArgs | false;
  /** The values pixel 0 and pixel 255 map to. */
  range: PixelRange;
  /** Changes each training batch before it becomes tensors (see {@link BatchDatasetArgs.transformBatch}). @default none */
  transformBatch?: (batch: ImageSet) => ImageSet;
  /** Extra tfjs callbacks (instances); they run before `onEpochEnd`, so it sees what they recorded. */
  callbacks?: tfl.Callback[];
  /** Called after each epoch with its 0-based index and the epoch's mean loss (and accuracy when compiled with it). */
  onEpochEnd?: (epoch: number, loss: number, acc: number | undefined) => void | Promise<void>;
}

/**
 * Trains a compiled model on an ImageSet with `model.fitDataset`, drawing fresh seeded shuffles and augmentations
 * each epoch. The model must already be compiled; it is trained in place.
 */
export async function fitImageSet(model: tfl.LayersModel, set: ImageSet, args: FitImageSetArgs): Promise<void> {
  const dataset = batchDataset(set, {
    batchSize: args.batchSize,
    shuffle: true,
    seed: args.seed,
    augment: args.augment,
    range: args.range,
    ...(args.transformBatch === undefined ? {} : { transformBatch: args.transformBatch }),
  });
  const onEpochEnd = args.onEpochEnd;
  const hook =
    onEpochEnd === undefined
      ? []
      : [
          new tfl.CustomCallback(
            {
              onEpochEnd: async (epoch: number, logs?: AnyLogs) => {
                await onEpochEnd(epoch, readLog(logs, 'loss') ?? Number.NaN, readLog(logs, 'acc'));
              },
            },
            'never',
          ),
        ];
  await model.fitDataset(dataset, {
    epochs: args.epochs,
    verbose: 0,
    callbacks: [...(args.callbacks ?? []), ...hook],
  });
}
