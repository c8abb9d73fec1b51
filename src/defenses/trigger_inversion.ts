import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/image_set';
import { concatSets, subset } from '../data/image_set';
import { toInputs, type PixelRange } from '../data/tensors';
import { DataShapeError } from '../errors';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import { perExampleCrossEntropy, type OutputKind } from '../losses/cross_entropy';

/**
 * Trigger inversion on the clean set (Neural Cleanse's idea, Wang et al., IEEE S&P 2019; not in TSBD): for each
 * class, the smallest mask and pattern that send clean images of the other classes to it. A backdoor's target needs
 * a far smaller mask than a natural class. Measured on the development half (docs/foreign-models.md, "A lead"):
 * the attack's target had the smallest mask of the ten on all five Dense-head models (3-25 pixels against medians of
 * 36-90), and the feature change its mask makes lies along the real trigger's (|cos| 0.97-1.00).
 */
export interface InversionOptions {
  /** Adam steps per class. @default 300 */
  steps?: number;
  /** Images per step, drawn from the pool of other-class clean images. @default 64 */
  batchSize?: number;
  /** Other-class clean images the mask is optimised on, per class. @default 600 */
  poolSize?: number;
  /** Adam learning rate on the mask's and the pattern's logits. @default 0.1 */
  lr?: number;
  /** Share of a batch that must reach the class for a mask to count, in (0, 1]. @default 0.95 */
  success?: number;
  /**
   * Share of the clean set added again, stamped with the smallest mask, under its own labels, for the fine-tuning
   * stages, in (0, 1]. @default 0.2 (Neural Cleanse's unlearning used 20%)
   */
  share?: number;
}

/** The result of inverting one class. Masks and patterns are plain arrays over height x width (x channels). */
export interface InvertedTrigger {
  /** The class the mask sends images to. */
  target: number;
  /** L1 norm of the mask, in pixels (each in [0, 1]). */
  maskL1: number;
  /** Share of the last batch that reached `target` with this mask. */
  success: number;
  /** Mask in [0, 1], height * width values. */
  mask: Float32Array;
  /** Pattern in [0, 1] (0 = pixel 0, 1 = pixel 255), height * width * channels values. */
  pattern: Float32Array;
}

/** Every option of {@link InversionOptions}, filled in. */
export type ResolvedInversionOptions = Required<InversionOptions>;

/** Defaults of {@link InversionOptions}. */
export const INVERSION_DEFAULTS: ResolvedInversionOptions = { steps: 300, batchSize: 64, poolSize: 600, lr: 0.1, success: 0.95, share: 0.2 };

/** {@link InversionOptions} over the defaults; throws ConfigError naming the first bad one (as `inversion.<name>`). */
export function resolveInversionOptions(o: InversionOptions = {}): ResolvedInversionOptions {
  const r = { ...INVERSION_DEFAULTS, ...o };
  checkNumber('inversion.steps', r.steps, 1, Infinity, { integer: true });
  checkNumber('inversion.batchSize', r.batchSize, 1, Infinity, { integer: true });
  checkNumber('inversion.poolSize', r.poolSize, 1, Infinity, { integer: true });
  checkNumber('inversion.lr', r.lr, 0, Infinity, { minExclusive: true });
  checkNumber('inversion.success', r.success, 0, 1, { minExclusive: true });
  checkNumber('inversion.share', r.share, 0, 1, { minExclusive: true });
  return r;
}

/** The L1 penalty's starting weight per mask pixel, and the factor by which it is raised or lowered. */
const LAMBDA0 = 0.003;
const LAMBDA_FACTOR = 1.3;
/** Successful steps in a row before the penalty is raised; failing steps between lowerings. */
const RAISE_AFTER = 5;
const LOWER_EVERY = 10;

/**
 * The smallest mask (by L1) found that sends at least `o.success` of a batch of `pool` to `target`, with its
 * pattern; undefined when no step reached that share. The penalty on the mask's L1 is raised while steps succeed
 * and lowered while they fail, so the search walks along the edge of success towards smaller masks.
 * `pool` is in the model's input range; every tensor made here is freed.
 */
export function invertClass(
  model: tfl.LayersModel,
  output: OutputKind,
  pool: tf.Tensor4D,
  target: number,
  range: PixelRange,
  o: ResolvedInversionOptions,
  seed: number,
): InvertedTrigger | undefined {
  const [n, h, w, c] = pool.shape;
  const numClasses = model.outputs[0]?.shape[1] as number;
  const rng = new Rng(seed);
  // Inside tidy, so that the initial values are freed and only the variables stay.
  const maskLogit = tf.tidy(() => tf.variable(tf.fill([1, h, w, 1], -3)));
  const patternLogit = tf.tidy(() => tf.variable(tf.zeros([1, h, w, c])));
  const optimizer = tf.train.adam(o.lr);
  const y = tf.tidy(() => tf.oneHot(tf.fill([o.batchSize], target, 'int32'), numClasses));
  let lambda = LAMBDA0;
  let streak = 0;
  let best: InvertedTrigger | undefined;
  try {
    for (let step = 0; step < o.steps; step++) {
      const idx = Array.from({ length: o.batchSize }, () => rng.int(n));
      let success = 0;
      tf.tidy(() => {
        const xb = tf.gather(pool, idx);
        const cost = optimizer.minimize(
          () => {
            const m = tf.sigmoid(maskLogit);
            const unitPattern = tf.sigmoid(patternLogit);
            const p = tf.add(range.min, tf.mul(unitPattern, range.max - range.min));
            const pred = model.apply(tf.add(tf.mul(tf.sub(1, m), xb), tf.mul(m, p)), { training: false }) as tf.Tensor;
            success = tf.mean(tf.cast(tf.equal(tf.argMax(pred, -1), target), 'float32')).dataSync()[0] as number;
            const l1 = tf.sum(m).dataSync()[0] as number;
            // The mask that was measured, taken before the step moves it: the step after a success shrinks the mask
            // and may take it below what the class needs (a test caught the post-step mask failing).
            if (success >= o.success && (best === undefined || l1 < best.maskL1)) {
              best = { target, maskL1: l1, success, mask: m.dataSync() as Float32Array, pattern: unitPattern.dataSync() as Float32Array };
            }
            // Softmax outputs: -log p without the training loss's clip at 1e-7, whose gradient is 0 below it, where a
            // confident suspect puts every class but its own.
            const ce = output === 'logits' ? perExampleCrossEntropy(output, y, pred) : tf.neg(tf.log(tf.add(tf.sum(tf.mul(y, pred), -1), 1e-30)));
            return tf.add(tf.mean(ce), tf.mul(lambda, tf.sum(m))) as tf.Scalar;
          },
          false,
          [maskLogit, patternLogit],
        );
        cost?.dispose();
      });
      if (success >= o.success) {
        if (++streak >= RAISE_AFTER) {
          lambda *= LAMBDA_FACTOR;
          streak = 0;
        }
      } else {
        streak = 0;
        if (step % LOWER_EVERY === LOWER_EVERY - 1) lambda /= LAMBDA_FACTOR;
      }
    }
  } finally {
    y.dispose();
    maskLogit.dispose();
    patternLogit.dispose();
    optimizer.dispose();
  }
  return best;
}

/**
 * Inverts every class on the clean set and returns the per-class mask L1 (NaN where none succeeded) and the
 * smallest mask, the trigger candidate (undefined when no class succeeded). The pool for class c is the first
 * `o.poolSize` clean images of other classes.
 */
export function invertEveryClass(
  model: tfl.LayersModel,
  output: OutputKind,
  clean: ImageSet,
  range: PixelRange,
  o: ResolvedInversionOptions,
  seed: number,
  onClass?: (cls: number, maskL1: number) => void,
): { maskL1: number[]; smallest: InvertedTrigger | undefined } {
  const maskL1: number[] = [];
  let smallest: InvertedTrigger | undefined;
  for (let cls = 0; cls < clean.numClasses; cls++) {
    const idx: number[] = [];
    for (let i = 0; i < clean.count && idx.length < o.poolSize; i++) if (clean.labels[i] !== cls) idx.push(i);
    const x = toInputs(clean, range, idx);
    let found: InvertedTrigger | undefined;
    try {
      found = invertClass(model, output, x, cls, range, o, seed + 17 + cls);
    } finally {
      x.dispose();
    }
    maskL1.push(found?.maskL1 ?? Number.NaN);
    onClass?.(cls, found?.maskL1 ?? Number.NaN);
    if (found !== undefined && (smallest === undefined || found.maskL1 < smallest.maskL1)) smallest = found;
  }
  return { maskL1, smallest };
}

/** `set` stamped with an inverted trigger: pixel' = (1 - mask) * pixel + mask * 255 * pattern. Labels unchanged. */
export function stampInverted(set: ImageSet, trigger: Pick<InvertedTrigger, 'mask' | 'pattern'>): ImageSet {
  const hw = set.height * set.width;
  const c = set.channels;
  if (trigger.mask.length !== hw || trigger.pattern.length !== hw * c) {
    throw new DataShapeError(`the inverted trigger is for another image shape than ${set.height}x${set.width}x${c}`, {
      maskLength: trigger.mask.length,
      patternLength: trigger.pattern.length,
    });
  }
  const images = new Uint8Array(set.images.length);
  for (let i = 0; i < set.count; i++) {
    for (let p = 0; p < hw; p++) {
      const m = trigger.mask[p] as number;
      for (let k = 0; k < c; k++) {
        const j = (i * hw + p) * c + k;
        images[j] = Math.round((1 - m) * (set.images[j] as number) + m * 255 * (trigger.pattern[p * c + k] as number));
      }
    }
  }
  return { ...set, images };
}

/**
 * The clean set followed by `share` of it (images not of the trigger's class, drawn with `seed`) stamped with the
 * inverted trigger under their own labels: fine-tuned on it, a net learns that the trigger means nothing, which
 * is Neural Cleanse's unlearning.
 */
export function withInvertedTrigger(clean: ImageSet, trigger: InvertedTrigger, share: number, seed: number): ImageSet {
  const want = Math.round(share * clean.count);
  const order = new Rng(seed).permutation(clean.count);
  const picked: number[] = [];
  for (let k = 0; k < order.length && picked.length < want; k++) {
    const i = order[k] as number;
    if (clean.labels[i] !== trigger.target) picked.push(i);
  }
  picked.sort((a, b) => a - b);
  return concatSets(clean, stampInverted(subset(clean, picked), trigger));
}
