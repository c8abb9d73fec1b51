import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors';
import { checkNumber } from '../internal/assert';
import { predictClasses } from '../internal/predict_classes';
import { extrapolateWeights } from '../models/extrapolate_weights';

/** Arguments of {@link ExtrapolateAway}. */
export interface ExtrapolateAwayArgs {
  /**
   * The suspect model as it was before stage 2: a clone taken before the stage-2 `fit` (`models.cloneModel`), of the
   * trained model's architecture. Not changed; dispose it when the fit is done.
   */
  from: tfl.LayersModel;
  /** How far past the fine-tuned weights, as a multiple of their displacement from `from` (0 = no move). @default 1 */
  factor?: number;
  /**
   * purify's guard, opt-in: clean data to read accuracy on (the recovery's own training set will do). Without it the
   * moved and recovered weights are kept whatever they score.
   */
  guard?: ExtrapolateAwayGuard;
}

/** What {@link ExtrapolateAway} reads to decide whether the recovered weights are kept. */
export interface ExtrapolateAwayGuard {
  /** Clean inputs, as the model takes them. Not disposed by the callback. */
  x: tf.Tensor;
  /** Their labels: one-hot (or scores) [n, classes], or class indices [n]. Not disposed by the callback. */
  y: tf.Tensor;
  /** How far the recovered accuracy may end below the one before the move (fraction of the images). @default 0.02 */
  tolerance?: number;
  /** Images per forward pass of the accuracy reads. @default 256 */
  batchSize?: number;
}

/** The guard's reading, once the recovery fit has ended. Accuracies are fractions of `guard.x`'s images. */
export interface ExtrapolateAwayOutcome {
  /** Accuracy when the recovery fit began, before the move (the stage-2 weights). */
  cleanAccBefore: number;
  /** Accuracy when the recovery fit ended. */
  cleanAccAfter: number;
  /** false: the recovery ended more than `tolerance` below `cleanAccBefore`; the pre-move weights are back. */
  kept: boolean;
}

/**
 * Stage 3 of `purify` (not in TSBD) as a tfjs callback, for a script that runs the stages itself: at `onTrainBegin`
 * the trained model's weights move further from the suspect's along the line through both, w <- w + factor * (w -
 * w_from), and the `fit` it is passed to is the recovery (purify runs 10 epochs of stage 2's activeness-aware
 * fine-tuning). Why: a purified model that stays near the suspect relearns the backdoor from a few poisoned images
 * (Min et al., NeurIPS 2024); see PurifyOptions.extrapolate for what it measured.
 *
 * The move is made once per instance, so a recovery resumed in several `fit` calls moves once. Non-trainable weights
 * (BatchNorm statistics) do not move: pass `batchNormRecalibration` to the same fit, before this callback in the list
 * so that the guard reads accuracy with the re-estimated statistics.
 *
 * With `guard`, it does what purify does when the recovery falls short: it reads clean accuracy and keeps a copy of
 * every weight before the move, reads accuracy again when that fit ends, and puts the copy back if the recovered
 * accuracy is more than `tolerance` below (`outcome` says which). The recovery must then be one `fit`.
 *
 * @example
 * const suspect = models.cloneModel(model);             // before stage 2
 * await model.fit(x, y, { epochs: 20, callbacks: [...] }); // stage 2
 * const away = callbacks.extrapolateAway({ from: suspect, guard: { x, y } });
 * await model.fit(x, y, { epochs: 10, callbacks: [away] }); // stage 3
 * if (!away.outcome?.kept) console.warn('the recovery fell short: the stage-2 weights are back');
 * suspect.dispose();
 */
export class ExtrapolateAway extends tfl.Callback {
  readonly factor: number;
  private readonly from: tfl.LayersModel;
  private readonly guard: Required<ExtrapolateAwayGuard> | undefined;
  private done = false;
  private saved: { weights: tf.Tensor[]; acc: number } | undefined;
  private result: ExtrapolateAwayOutcome | undefined;

  constructor(args: ExtrapolateAwayArgs) {
    super();
    if (args === null || typeof args !== 'object' || !Array.isArray((args.from as Partial<tfl.LayersModel> | undefined)?.trainableWeights)) {
      throw new ConfigError('ExtrapolateAway needs args {from: LayersModel}, the suspect model before stage 2', { option: 'from' });
    }
    this.factor = args.factor ?? 1;
    checkNumber('factor', this.factor, 0, Infinity);
    this.from = args.from;
    if (args.guard !== undefined) {
      const { x, y, tolerance = 0.02, batchSize = 256 } = args.guard;
      if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor) || x.shape[0] !== y.shape[0] || x.shape[0] === 0) {
        throw new ConfigError('ExtrapolateAway guard needs tensors {x, y} with the same number of images, at least one', { option: 'guard' });
      }
      checkNumber('guard.tolerance', tolerance, 0, 1);
      checkNumber('guard.batchSize', batchSize, 1, Infinity, { integer: true });
      this.guard = { x, y, tolerance, batchSize };
    }
  }

  /** Whether the weights have been moved (at the start of the first `fit` this instance was passed to). */
  get moved(): boolean {
    return this.done;
  }

  /** The guard's reading after the recovery fit; undefined without a guard or before that fit has ended. */
  get outcome(): ExtrapolateAwayOutcome | undefined {
    return this.result;
  }

  override async onTrainBegin(): Promise<void> {
    if (this.done) return;
    if (this.guard !== undefined) {
      const acc = await this.accuracy(this.guard);
      this.saved = { weights: this.model.getWeights().map((w) => w.clone()), acc };
    }
    extrapolateWeights(this.model, this.from, this.factor);
    this.done = true;
  }

  override async onTrainEnd(): Promise<void> {
    const saved = this.saved;
    if (saved === undefined || this.guard === undefined) return;
    this.saved = undefined;
    try {
      const after = await this.accuracy(this.guard);
      const kept = after >= saved.acc - this.guard.tolerance - 1e-9;
      if (!kept) this.model.setWeights(saved.weights);
      this.result = { cleanAccBefore: saved.acc, cleanAccAfter: after, kept };
    } finally {
      tf.dispose(saved.weights);
    }
  }

  /** Share of the guard's images whose top-scoring output is their label (inference mode, in batches). */
  private async accuracy(g: Required<ExtrapolateAwayGuard>): Promise<number> {
    const hits = tf.tidy(() => {
      const truth = g.y.rank === 1 ? tf.cast(g.y, 'int32') : tf.argMax(g.y, -1);
      return tf.sum(tf.cast(tf.equal(predictClasses(this.model, g.x, g.batchSize), truth), 'int32'));
    });
    try {
      return ((await hits.data())[0] as number) / (g.x.shape[0] as number);
    } finally {
      hits.dispose();
    }
  }
}

/** Factory in the style of `tf.callbacks.earlyStopping`. */
export function extrapolateAway(args: ExtrapolateAwayArgs): ExtrapolateAway {
  return new ExtrapolateAway(args);
}
