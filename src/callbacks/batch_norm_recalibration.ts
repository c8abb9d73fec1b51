import * as tfl from '@tensorflow/tfjs-layers';

import { validateImageSet, type ImageSet } from '../data/image_set';
import type { PixelRange } from '../data/tensors';
import { ConfigError } from '../errors';
import { recalibrateBatchNorm } from '../models/recalibrate_batch_norm';

/** Arguments of {@link BatchNormRecalibration}. */
export interface BatchNormRecalibrationArgs {
  /** The clean images whose statistics the BatchNorm layers should hold after training. */
  set: ImageSet;
  /** The values pixel 0 and 255 map to. @default {min: 0, max: 1} */
  range?: PixelRange;
  /** Images per forward pass. @default 256 */
  batchSize?: number;
  /**
   * Also re-estimate just before the last batch of every epoch, so that the epoch's validation metrics (and callbacks
   * that read them, such as early stopping) see statistics of the current weights. In `fitDataset`, whose epoch
   * length tfjs does not pass to callbacks, it is done when the epoch ends instead, after that epoch's validation.
   * Costs one forward pass over `set` per epoch, and nothing for a model without BatchNorm.
   * @default true
   */
  everyEpoch?: boolean;
}

/**
 * Re-estimates every BatchNorm layer's moving mean and variance from `set` when `fit` ends, and by default before
 * each epoch's validation (see recalibrateBatchNorm). A model without BatchNorm is left as it is. Training steps do
 * not read the moving statistics, so the training itself is the same with or without this callback.
 *
 * Why: after zero re-initialisation the moving statistics still describe the suspect network, and with tfjs' default
 * momentum of 0.99 a fine-tuning of a few hundred steps does not replace them. Measured on a conv-BN-GAP model
 * (issue 10's zoo, D2): test ACC 0.19-0.60 with the statistics fine-tuning left, 0.83-0.85 re-estimated, and the
 * stale statistics were also what kept the backdoor (docs/foreign-models.md). During a fine-tuning of 12 steps an
 * epoch (720 images in batches of 64, examples/wrap_finetune.ts) the validation accuracy that tfjs reports wanders
 * between 0.10 and 0.84 on stale statistics, which early stopping would read as noise or decline.
 *
 * @example
 * await model.fit(x, y, {epochs: 20, callbacks: [nwcReinit({mask}), batchNormRecalibration({set: clean})]});
 */
export class BatchNormRecalibration extends tfl.Callback {
  /** BatchNorm layers the last re-estimation covered (0 before the first, or when the model has none). */
  recalibrated = 0;
  private readonly set: ImageSet;
  private readonly range: PixelRange | undefined;
  private readonly batchSize: number | undefined;
  private readonly everyEpoch: boolean;

  constructor(args: BatchNormRecalibrationArgs) {
    super();
    if (args === null || typeof args !== 'object' || args.set === undefined) {
      throw new ConfigError('BatchNormRecalibration needs args {set: ImageSet}; received no set', { option: 'set' });
    }
    validateImageSet(args.set, 'BatchNormRecalibration set');
    this.set = args.set;
    this.range = args.range;
    this.batchSize = args.batchSize;
    if (args.everyEpoch !== undefined && typeof args.everyEpoch !== 'boolean') {
      throw new ConfigError(`everyEpoch must be a boolean; received ${String(args.everyEpoch)}`, { option: 'everyEpoch' });
    }
    this.everyEpoch = args.everyEpoch ?? true;
  }

  /** Batches per epoch when `fit` was given tensors (tfjs passes samples and batchSize then); undefined in fitDataset. */
  private batchesPerEpoch(): number | undefined {
    const { samples, batchSize } = this.params as { samples?: unknown; batchSize?: unknown };
    return typeof samples === 'number' && typeof batchSize === 'number' && batchSize > 0 ? Math.ceil(samples / batchSize) : undefined;
  }

  override async onBatchBegin(batch: number): Promise<void> {
    // tfjs-layers runs an epoch's validation inside its last batch, right after the training step.
    if (this.everyEpoch && batch === (this.batchesPerEpoch() ?? -1) - 1) this.recalibrate();
  }

  override async onEpochEnd(): Promise<void> {
    if (this.everyEpoch && this.batchesPerEpoch() === undefined) this.recalibrate();
  }

  override async onTrainEnd(): Promise<void> {
    this.recalibrate();
  }

  private recalibrate(): void {
    this.recalibrated = recalibrateBatchNorm(this.model, this.set, {
      ...(this.range === undefined ? {} : { range: this.range }),
      ...(this.batchSize === undefined ? {} : { batchSize: this.batchSize }),
    });
  }
}

/** Factory for {@link BatchNormRecalibration}. */
export function batchNormRecalibration(args: BatchNormRecalibrationArgs): BatchNormRecalibration {
  return new BatchNormRecalibration(args);
}
