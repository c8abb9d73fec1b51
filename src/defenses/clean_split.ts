import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { checkConfig } from '../internal/assert';
import { Rng } from '../internal/rng';

/** A part of the defender's clean set to train on and a part held out from it. */
export interface CleanSplit {
  train: ImageSet;
  heldOut: ImageSet;
}

/**
 * Splits the defender's clean set `count` ways by ONE seeded shuffle: split k holds out the k-th block of
 * `round(heldOutFraction * n)` images of that shuffle (at least one) and trains on all the others, so the held-out
 * parts are disjoint. Needs `count` blocks to fit, keeping at least one image to train on.
 */
export function cleanSplits(set: ImageSet, heldOutFraction: number, count: number, seed: number): CleanSplit[] {
  const k = Math.max(1, Math.round(heldOutFraction * set.count));
  checkConfig(
    count * k < set.count,
    () => `${count} disjoint held-out parts of ${k} images (heldOutFraction ${heldOutFraction}) need more than ${count * k} clean images; the clean set has ${set.count}`,
    { count, heldOut: k, images: set.count },
  );
  const perm = new Rng(seed).permutation(set.count);
  return Array.from({ length: count }, (_, s) => ({
    heldOut: subset(set, perm.subarray(s * k, (s + 1) * k)),
    train: subset(set, Int32Array.from([...perm.subarray(0, s * k), ...perm.subarray((s + 1) * k)])),
  }));
}
