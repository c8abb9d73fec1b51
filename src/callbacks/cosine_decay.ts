import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors';
import { checkNumber } from '../internal/assert';

/** What {@link CosineDecay} needs of an optimizer: tfjs' SGD and momentum optimizers have it. */
export interface LearningRateSetter {
  setLearningRate(learningRate: number): void;
}

export interface CosineDecayArgs {
  /** The optimizer the model was compiled with (or the inner one of a wrapper such as GradNormOptimizer). */
  optimizer: LearningRateSetter;
  /** Learning rate of the first epoch. */
  lr: number;
  /** Epochs of the fit the schedule spans; the last epoch runs at lr * (1 + cos(pi * (epochs - 1 - hold) / (epochs - hold))) / 2. */
  epochs: number;
  /**
   * Epochs at the full `lr` before the decay begins (0 to epochs - 1); the cosine then spans the remaining epochs.
   * Why: a decay from the first epoch covers half the distance of a constant rate in the same epochs, which left an
   * under-trained model further from the clean data (docs/foreign-models.md). @default 0
   */
  holdEpochs?: number;
}

/**
 * Cosine learning-rate decay by epoch, as a `model.fit` callback: epoch e (from 0) runs at lr * (1 + cos(pi * e /
 * epochs)) / 2, so the rate falls smoothly from lr towards 0 over the fit. With `holdEpochs` h, epochs before h run
 * at lr and epoch e >= h at lr * (1 + cos(pi * (e - h) / (epochs - h))) / 2. tfjs-layers has no learning-rate
 * scheduler. The rate is set before each epoch, so the same instance can be passed to one fit at a time; the
 * optimizer keeps the last rate when the fit ends.
 */
export class CosineDecay extends tfl.Callback {
  private readonly optimizer: LearningRateSetter;
  private readonly lr: number;
  private readonly epochs: number;
  private readonly hold: number;

  constructor(args: CosineDecayArgs) {
    super();
    if (typeof args?.optimizer?.setLearningRate !== 'function') {
      throw new ConfigError('CosineDecay needs an optimizer with setLearningRate (tf.train.sgd or tf.train.momentum)', { field: 'optimizer' });
    }
    checkNumber('lr', args.lr, 0, Number.POSITIVE_INFINITY);
    checkNumber('epochs', args.epochs, 1, Number.POSITIVE_INFINITY, { integer: true });
    const hold = args.holdEpochs ?? 0;
    checkNumber('holdEpochs', hold, 0, args.epochs - 1, { integer: true });
    this.optimizer = args.optimizer;
    this.lr = args.lr;
    this.epochs = args.epochs;
    this.hold = hold;
  }

  /** The learning rate of epoch `epoch` (from 0). */
  rateAt(epoch: number): number {
    const decaying = Math.min(Math.max(epoch - this.hold, 0), this.epochs - this.hold);
    return (this.lr * (1 + Math.cos((Math.PI * decaying) / (this.epochs - this.hold)))) / 2;
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.optimizer.setLearningRate(this.rateAt(epoch));
  }
}

/** Factory in the style of `tf.callbacks.earlyStopping`. */
export function cosineDecay(args: CosineDecayArgs): CosineDecay {
  return new CosineDecay(args);
}
