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
  /** Epochs of the fit the schedule spans; the last epoch runs at lr * (1 + cos(pi * (epochs - 1) / epochs)) / 2. */
  epochs: number;
}

/**
 * Cosine learning-rate decay by epoch, as a `model.fit` callback: epoch e (from 0) runs at lr * (1 + cos(pi * e /
 * epochs)) / 2, so the rate falls smoothly from lr towards 0 over the fit. tfjs-layers has no learning-rate
 * scheduler. The rate is set before each epoch, so the same instance can be passed to one fit at a time; the
 * optimizer keeps the last rate when the fit ends.
 */
export class CosineDecay extends tfl.Callback {
  private readonly optimizer: LearningRateSetter;
  private readonly lr: number;
  private readonly epochs: number;

  constructor(args: CosineDecayArgs) {
    super();
    if (typeof args?.optimizer?.setLearningRate !== 'function') {
      throw new ConfigError('CosineDecay needs an optimizer with setLearningRate (tf.train.sgd or tf.train.momentum)', { field: 'optimizer' });
    }
    checkNumber('lr', args.lr, 0, Number.POSITIVE_INFINITY);
    checkNumber('epochs', args.epochs, 1, Number.POSITIVE_INFINITY, { integer: true });
    this.optimizer = args.optimizer;
    this.lr = args.lr;
    this.epochs = args.epochs;
  }

  /** The learning rate of epoch `epoch` (from 0). */
  rateAt(epoch: number): number {
    return (this.lr * (1 + Math.cos((Math.PI * Math.min(epoch, this.epochs)) / this.epochs))) / 2;
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.optimizer.setLearningRate(this.rateAt(epoch));
  }
}

/** Factory in the style of `tf.callbacks.earlyStopping`. */
export function cosineDecay(args: CosineDecayArgs): CosineDecay {
  return new CosineDecay(args);
}
