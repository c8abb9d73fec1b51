import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { Rng } from '../internal/rng';

/**
 * Splits the defender's clean set into a part to train on and a held-out part, by a seeded shuffle.
 * The held-out part keeps at least one image and the training part at least one.
 */
export function splitClean(set: ImageSet, heldOutFraction: number, seed: number): { train: ImageSet; heldOut: ImageSet } {
  const perm = new Rng(seed).permutation(set.count);
  const k = Math.min(set.count - 1, Math.max(1, Math.round(heldOutFraction * set.count)));
  return { heldOut: subset(set, perm.subarray(0, k)), train: subset(set, perm.subarray(k)) };
}
