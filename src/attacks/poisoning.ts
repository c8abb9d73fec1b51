import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { ConfigError, DataShapeError } from '../errors';
import { checkConfig, checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackMode } from './attack';

/** Options every attack takes. */
export interface PoisonArgs {
  /** Target class (all-to-one; all-to-all sends y to (y + 1) mod C and ignores it). @default 0 */
  target?: number;
  /** Fraction of the training set poisoned, in [0, 1]. @default 0.1 */
  rate?: number;
  /** Seeds which images are poisoned and every random part of the trigger. @default 0 */
  seed?: number;
  /** @default 'all-to-one' */
  mode?: AttackMode;
}

/** {@link PoisonArgs} with defaults filled in and validated. */
export function poisonDefaults(args: PoisonArgs): Required<PoisonArgs> {
  const out = { target: args.target ?? 0, rate: args.rate ?? 0.1, seed: args.seed ?? 0, mode: args.mode ?? 'all-to-one' };
  checkNumber('target', out.target, 0, Infinity, { integer: true });
  checkNumber('rate', out.rate, 0, 1);
  checkNumber('seed', out.seed, 0, 2 ** 32, { integer: true });
  checkConfig(out.mode === 'all-to-one' || out.mode === 'all-to-all', () => `mode must be all-to-one or all-to-all; received ${JSON.stringify(out.mode)}`, {
    option: 'mode',
  });
  return out;
}

/** The label a poisoned image of class `label` gets: the target, or (label + 1) mod C for all-to-all. */
export function poisonLabel(mode: AttackMode, target: number, label: number, numClasses: number): number {
  return mode === 'all-to-all' ? (label + 1) % numClasses : target;
}

/** Throws ConfigError when an all-to-one target is not a class of `set`. */
export function checkTarget(p: Required<PoisonArgs>, set: ImageSet): void {
  if (p.mode === 'all-to-one' && p.target >= set.numClasses) {
    throw new ConfigError(`target ${p.target} is not a class of this data (0..${set.numClasses - 1})`, { target: p.target });
  }
}

/**
 * Positions to poison, ascending, drawn by a `Rng(seed)` permutation of the candidates.
 * Dirty-label: exactly round(rate * count) images among those whose poisoned label differs from their own; throws
 * DataShapeError when there are fewer. Clean-label: images of the target class, round(rate * count) of them, or all
 * of them when the class holds fewer (BackdoorBench's clean-label selection takes the first round(pratio * N) of the
 * shuffled target-class positions, which caps it the same way); or, with `rateOfCandidates`, round(rate * size of the
 * target class) (Barni et al.'s fraction of the target class).
 */
export function choosePoisoned(set: ImageSet, p: Required<PoisonArgs>, cleanLabel: boolean, rateOfCandidates = false): Int32Array {
  checkTarget(p, set);
  const candidates: number[] = [];
  for (let i = 0; i < set.count; i++) {
    const y = set.labels[i] as number;
    if (cleanLabel ? y === p.target : poisonLabel(p.mode, p.target, y, set.numClasses) !== y) candidates.push(i);
  }
  let k = Math.round(p.rate * (rateOfCandidates ? candidates.length : set.count));
  if (k > candidates.length) {
    if (!cleanLabel) {
      throw new DataShapeError(`cannot poison ${k} images: only ${candidates.length} are not of the target class ${p.target}`, { k });
    }
    k = candidates.length;
  }
  const perm = new Rng(p.seed).permutation(candidates.length);
  return Int32Array.from(perm.subarray(0, k), (j) => candidates[j] as number).sort();
}

/**
 * The training set with the images at `indices` replaced by `stamp` of them and, unless `cleanLabel`, relabelled by
 * the attack's label map. New bytes; `set` is untouched.
 */
export function poisonAt(
  set: ImageSet,
  indices: Int32Array,
  stamp: (s: ImageSet) => ImageSet,
  label: ((y: number) => number) | undefined,
): ImageSet {
  const per = set.height * set.width * set.channels;
  const images = set.images.slice();
  const labels = set.labels.slice();
  if (indices.length > 0) {
    const stamped = stamp(subset(set, indices));
    indices.forEach((i, k) => {
      images.set(stamped.images.subarray(k * per, (k + 1) * per), i * per);
      if (label !== undefined) labels[i] = label(set.labels[i] as number);
    });
  }
  return { ...set, images, labels };
}

/** Rounds and clamps a pixel value to 0..255 (a Uint8Array would wrap 256 to 0). */
export function toPixel(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
