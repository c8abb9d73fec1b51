import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Attack } from '../attacks/attack';
import { concatSets, subset, validateImageSet, type ImageSet } from '../data/image_set';
import { UNIT_RANGE, type PixelRange } from '../data/tensors';
import { ConfigError, DataShapeError } from '../errors';
import { checkNumber } from '../internal/assert';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { Rng } from '../internal/rng';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { cloneModel } from '../models/clone_model';
import { checkClassifier, outputKind } from '../models/output_kind';
import { fitImageSet } from '../training/fit_image_set';
import { evaluate } from './evaluate';

/** Options of {@link retuneAttack}. */
export interface RetuneAttackArgs {
  /** The defender's clean images: the fine-tuning job's honest data. May be empty only when `k` > 0. */
  clean: ImageSet;
  /** The images the K poisoned ones are drawn from (e.g. training images outside `clean`), among its non-target ones. */
  poisonPool: ImageSet;
  /** The attack whose trigger (`applyTrigger`) and target class (`target`) the attacker uses. */
  attack: Attack;
  /** Number of poisoned images slipped into the fine-tuning set; 0 fine-tunes on `clean` alone. */
  k: number;
  /** The clean test split ACC and ASR are measured on. */
  test: ImageSet;
  /** Fine-tuning passes over clean + poisoned. @default 5 */
  epochs?: number;
  /** SGD learning rate. @default 0.01 */
  lr?: number;
  /** SGD momentum, in [0, 1). @default 0.9 */
  momentum?: number;
  /** Images per gradient step. @default 64 */
  batchSize?: number;
  /** Seeds the draw of the K poisoned images and the per-epoch shuffles. @default 0 */
  seed?: number;
  /** The values pixel 0 and 255 map to, for training and evaluation. @default {min: 0, max: 1} */
  range?: PixelRange;
}

/** What {@link retuneAttack} measured, as plain numbers. */
export interface RetuneResult {
  /** Poisoned images in the fine-tuning set. */
  k: number;
  /** Clean test accuracy of the re-tuned copy, a fraction in [0, 1]. */
  acc: number;
  /**
   * Attack success rate of the re-tuned copy: share of the test split's non-target images, stamped, predicted as the
   * target; a fraction in [0, 1] (NaN when every test image is of the target class).
   */
  asr: number;
}

/**
 * Draws the attacker's K poisoned images: K images of `pool` whose label is not `attack.target`, chosen by a
 * `Rng(seed)` permutation of those candidates, stamped with `attack.applyTrigger` and relabelled to the target.
 * `indices` are the chosen positions in `pool`, ascending. Plain bytes; nothing to dispose.
 * @throws DataShapeError when `k` exceeds the pool's non-target images; ConfigError for an all-to-all attack.
 */
export function drawRetunePoison(pool: ImageSet, attack: Attack, k: number, seed: number): { set: ImageSet; indices: Int32Array } {
  checkNumber('k', k, 0, Infinity, { integer: true });
  if (attack.mode !== 'all-to-one') {
    throw new ConfigError(`the retuning attack relabels to one target class; ${attack.name} is ${attack.mode}`, { mode: attack.mode });
  }
  const candidates: number[] = [];
  for (let i = 0; i < pool.count; i++) if (pool.labels[i] !== attack.target) candidates.push(i);
  if (k > candidates.length) {
    throw new DataShapeError(
      `k = ${k} poisoned images requested, but the poison pool holds only ${candidates.length} images not of the target class ${attack.target} (of ${pool.count})`,
      { k, available: candidates.length, pool: pool.count, target: attack.target },
    );
  }
  const perm = new Rng(seed).permutation(candidates.length);
  const indices = Int32Array.from(perm.subarray(0, k), (j) => candidates[j] as number).sort();
  const chosen = subset(pool, indices);
  if (k === 0) return { set: chosen, indices };
  const stamped = attack.applyTrigger(chosen);
  return { set: { ...stamped, labels: new Uint8Array(k).fill(attack.target) }, indices };
}

/**
 * The retuning attack (RA) of Min et al., "Uncovering, Explaining, and Mitigating the Superficial Safety of Backdoor
 * Defense", NeurIPS 2024, arXiv 2410.09838: does a purification last once an attacker can slip K poisoned images
 * into a later fine-tuning job? A COPY of `model` is fine-tuned with SGD + momentum (cross-entropy from the model's
 * own output kind, probabilities or logits; no augmentation) on `clean` plus K poisoned images drawn by
 * `drawRetunePoison`; then ACC on `test` and ASR on its stamped non-target images are measured with
 * {@link evaluate}. A purification that is only superficial sees its ASR come back after a few epochs.
 *
 * `model` is never changed (the copy is made with `cloneModel`, trained, then disposed). Every tensor and the
 * optimizer are freed; the result is plain numbers. The defaults (5 epochs, lr 0.01, momentum 0.9, batch 64) are
 * this package's choice for its small models, not the paper's exact protocol.
 *
 * @example
 * const r = await retuneAttack(purified, {clean, poisonPool, attack, k: 5, test});
 * // r = {k: 5, acc, asr}: compare r.asr with evaluate(purified, test, attack).asr
 * @throws ConfigError for an option out of range; DataShapeError when the sets do not fit the model or each other,
 *   or `k` exceeds the pool's non-target images.
 */
export async function retuneAttack(model: tfl.LayersModel, args: RetuneAttackArgs): Promise<RetuneResult> {
  const epochs = args.epochs ?? 5;
  const lr = args.lr ?? 0.01;
  const momentum = args.momentum ?? 0.9;
  const batchSize = args.batchSize ?? 64;
  const seed = args.seed ?? 0;
  const range = args.range ?? UNIT_RANGE;
  const { k, attack } = args;
  checkNumber('k', k, 0, Infinity, { integer: true });
  checkNumber('epochs', epochs, 1, Infinity, { integer: true });
  checkNumber('lr', lr, 0, Infinity, { minExclusive: true });
  checkNumber('momentum', momentum, 0, 1, { maxExclusive: true });
  checkNumber('batchSize', batchSize, 1, Infinity, { integer: true });
  checkNumber('seed', seed, 0, 2 ** 32, { integer: true });
  checkNumber('range.min', range.min, -Infinity, Infinity);
  checkNumber('range.max', range.max, -Infinity, Infinity);

  const { inputShape, numClasses } = checkClassifier(model);
  if (!Number.isInteger(attack.target) || attack.target < 0 || attack.target >= numClasses) {
    throw new ConfigError(`attack target ${attack.target} is not a class of the model (0..${numClasses - 1})`, {
      target: attack.target,
      numClasses,
    });
  }
  checkSet(args.clean, 'clean set', inputShape, numClasses, k > 0);
  checkSet(args.poisonPool, 'poison pool', inputShape, numClasses, true);
  checkSet(args.test, 'test set', inputShape, numClasses, false);

  const poison = drawRetunePoison(args.poisonPool, attack, k, seed).set;
  const train = concatSets(args.clean, poison);
  const copy = cloneModel(model);
  const optimizer = tf.train.momentum(lr, momentum);
  try {
    copy.compile({ optimizer, loss: crossEntropyLoss(outputKind(model)) });
    await fitImageSet(copy, train, { epochs, batchSize, seed, augment: false, range });
    const m = await evaluate(copy, args.test, attack, { range });
    return { k, acc: m.acc, asr: m.asr };
  } finally {
    disposeOptimizer(optimizer);
    copy.dispose();
  }
}

/** Shape checks: images of the model's size, labels in its classes; `mayBeEmpty` lets a set hold 0 images. */
function checkSet(set: ImageSet, what: string, inputShape: [number, number, number], numClasses: number, mayBeEmpty: boolean): void {
  if (!(mayBeEmpty && set.count === 0)) validateImageSet(set, what);
  const dims = [set.height, set.width, set.channels];
  if (dims.some((d, i) => d !== inputShape[i])) {
    throw new DataShapeError(`${what} images are ${dims.join('x')} but the model expects ${inputShape.join('x')}`, {
      set: what,
      images: dims,
      model: inputShape,
    });
  }
  if (set.numClasses !== numClasses) {
    throw new DataShapeError(`${what} has ${set.numClasses} classes but the model outputs ${numClasses}`, {
      set: what,
      data: set.numClasses,
      model: numClasses,
    });
  }
}

