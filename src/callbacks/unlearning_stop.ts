import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, DataShapeError } from '../errors';
import { checkNumber } from '../internal/assert';
import { predictClasses } from '../internal/predict_classes';

/** Arguments of {@link UnlearningStop}. */
export interface UnlearningStopArgs {
  /** Clean images, [N, ...inputShape]. Owned by the caller; must stay alive while training. */
  x: tf.Tensor;
  /** One-hot labels of `x`, [N, numClasses]. Owned by the caller. */
  y: tf.Tensor;
  /**
   * Stop once clean accuracy (a fraction in [0,1]) is at or below this.
   * @default 1 / numClasses (chance level). The reference used a fixed 0.10.
   */
  targetAcc?: number;
  /**
   * Stop once at least this share (a fraction in (0,1]) of clean predictions fall in one class: the net has
   * collapsed, and accuracy may never reach `targetAcc`.
   * @default 0.99
   */
  collapseShare?: number;
  /**
   * Stop after this many epochs (counted by this callback since `onTrainBegin`).
   * @default 1000, the reference's cap
   */
  maxEpochs?: number;
  /**
   * Images per `model.predict` batch when evaluating.
   * @default 256
   */
  batchSize?: number;
  /** Progress hook, called after each check with the 0-based epoch, accuracy and top-class share. */
  onEpoch?: (epoch: number, acc: number, topShare: number) => void;
}

/** Why {@link UnlearningStop} stopped training. */
export type UnlearningStopReason = 'accuracy' | 'collapse' | 'maxEpochs';

/** One epoch's check. */
export interface UnlearningStopRecord {
  /** 0-based epoch index, as tfjs passes it. */
  epoch: number;
  /** Clean accuracy, in [0,1]. */
  acc: number;
  /** Largest share of predictions that fall in one class, in [0,1]. */
  topShare: number;
}

/**
 * The stopping rule of clean unlearning (TSBD stage 1a): after each epoch it predicts the clean set in inference
 * mode and sets `model.stopTraining` when accuracy <= `targetAcc` ('accuracy'), else when the predictions have
 * collapsed into one class ('collapse'), else when `maxEpochs` epochs have run ('maxEpochs'); checked in that order.
 *
 * Porting note: the reference stops only at accuracy <= 0.10, capped at 1000 epochs; gradient ascent can drive a
 * ReLU net into predicting one class whose share of the clean set is above 10%, so we also stop on collapse.
 *
 * @example
 * const stop = unlearningStop({x: cleanX, y: cleanY});
 * copy.compile({optimizer: tf.train.momentum(1e-4, 0.9), loss: unlearningLoss('probabilities')});
 * await copy.fit(cleanX, cleanY, {epochs: 1000, batchSize: 256, callbacks: [stop]});
 * // stop.stopReason: 'accuracy' | 'collapse' | 'maxEpochs'
 */
export class UnlearningStop extends tfl.Callback {
  readonly targetAcc: number;
  readonly collapseShare: number;
  readonly maxEpochs: number;
  readonly batchSize: number;
  private readonly x: tf.Tensor;
  private readonly labels: tf.Tensor;
  private readonly numClasses: number;
  private readonly onEpoch: ((epoch: number, acc: number, topShare: number) => void) | undefined;
  private history_: UnlearningStopRecord[] = [];
  private reason: UnlearningStopReason | undefined;

  constructor(args: UnlearningStopArgs) {
    super();
    if (args === null || typeof args !== 'object' || !(args.x instanceof tf.Tensor) || !(args.y instanceof tf.Tensor)) {
      throw new ConfigError('UnlearningStop needs args {x: Tensor, y: Tensor}', { option: 'x/y' });
    }
    const { x, y } = args;
    if (y.rank !== 2 || x.rank < 2 || x.shape[0] !== y.shape[0] || (x.shape[0] ?? 0) === 0) {
      throw new DataShapeError(
        `UnlearningStop expects x [N, ...] and one-hot y [N, numClasses] with N > 0; received x [${x.shape.join(',')}], ` +
          `y [${y.shape.join(',')}]`,
        { x: x.shape, y: y.shape },
      );
    }
    this.numClasses = y.shape[1] as number;
    if (this.numClasses < 2) {
      throw new DataShapeError(`y must have at least 2 classes; received ${this.numClasses}`, { y: y.shape });
    }
    this.targetAcc = args.targetAcc ?? 1 / this.numClasses;
    checkNumber('targetAcc', this.targetAcc, 0, 1);
    this.collapseShare = args.collapseShare ?? 0.99;
    checkNumber('collapseShare', this.collapseShare, 0, 1, { minExclusive: true });
    this.maxEpochs = args.maxEpochs ?? 1000;
    checkNumber('maxEpochs', this.maxEpochs, 1, Number.MAX_SAFE_INTEGER, { integer: true });
    this.batchSize = args.batchSize ?? 256;
    checkNumber('batchSize', this.batchSize, 1, Number.MAX_SAFE_INTEGER, { integer: true });
    if (args.onEpoch !== undefined && typeof args.onEpoch !== 'function') {
      throw new ConfigError(`onEpoch must be a function; received ${typeof args.onEpoch}`, { option: 'onEpoch' });
    }
    this.onEpoch = args.onEpoch;
    this.x = x;
    this.labels = y;
  }

  /** One record per checked epoch (plain numbers), since the last `onTrainBegin`. */
  get history(): readonly Readonly<UnlearningStopRecord>[] {
    return this.history_;
  }

  /** Why training was stopped; undefined while no rule has fired. */
  get stopReason(): UnlearningStopReason | undefined {
    return this.reason;
  }

  override async onTrainBegin(): Promise<void> {
    this.history_ = [];
    this.reason = undefined;
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    const { acc, topShare } = await this.measure();
    this.history_.push({ epoch, acc, topShare });
    this.onEpoch?.(epoch, acc, topShare);
    let reason: UnlearningStopReason | undefined;
    if (acc <= this.targetAcc) reason = 'accuracy';
    else if (topShare >= this.collapseShare) reason = 'collapse';
    else if (this.history_.length >= this.maxEpochs) reason = 'maxEpochs';
    if (reason !== undefined) {
      this.reason = reason;
      this.model.stopTraining = true;
    }
  }

  /** Clean accuracy and top-class share of the current model, in inference mode. */
  private async measure(): Promise<{ acc: number; topShare: number }> {
    const n = this.x.shape[0] as number;
    const counts = tf.tidy(() => {
      const predicted = predictClasses(this.model, this.x, this.batchSize);
      const correct = tf.sum(tf.cast(tf.equal(predicted, tf.argMax(this.labels, -1)), 'int32'));
      const perClass = tf.sum(tf.oneHot(tf.cast(predicted, 'int32'), this.numClasses), 0);
      return tf.concat([tf.reshape(correct, [1]), tf.cast(perClass, 'int32')]);
    });
    try {
      const v = await counts.data();
      let top = 0;
      for (let c = 1; c < v.length; c++) top = Math.max(top, v[c] as number);
      return { acc: (v[0] as number) / n, topShare: top / n };
    } finally {
      counts.dispose();
    }
  }
}

/** Factory for {@link UnlearningStop}. */
export function unlearningStop(args: UnlearningStopArgs): UnlearningStop {
  return new UnlearningStop(args);
}
