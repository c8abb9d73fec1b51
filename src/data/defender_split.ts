import { Rng } from '../internal/rng';
import { subset, type ImageSet } from './image_set';

/**
 * The defender's clean draw exactly as `tsbd purify --clean-fraction F --seed S` makes it: the first
 * `round(F * train.count)` images of a `Rng(S)` permutation of the training split (the whole split, unshuffled, when
 * that is all of it), and the other training images (`rest`, in their order). Plain bytes; nothing to dispose.
 */
export function defenderSplit(train: ImageSet, fraction: number, seed: number): { clean: ImageSet; rest: ImageSet } {
  const n = Math.round(fraction * train.count);
  if (n >= train.count) return { clean: train, rest: subset(train, []) };
  const chosen = new Rng(seed).permutation(train.count).subarray(0, n);
  const taken = new Uint8Array(train.count);
  for (const i of chosen) taken[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < train.count; i++) if (taken[i] === 0) rest.push(i);
  return { clean: subset(train, chosen), rest: subset(train, rest) };
}
