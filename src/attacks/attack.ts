import type { ImageSet } from '../data/image_set';
import type { BadNetsConfig } from './badnets';

/** The JSON-able description of an attack: enough to re-create it and re-stamp test images (attack.json). */
export type AttackConfig = BadNetsConfig;

/** A backdoor attack on image classifiers, all-to-one. */
export interface Attack {
  readonly name: string;
  /** The class triggered images are sent to. */
  readonly target: number;
  /** Fraction of the training set poisoned, in [0, 1]. */
  readonly rate: number;
  config(): AttackConfig;
  /** Every image stamped with the trigger, labels unchanged. New bytes; the input is untouched. */
  applyTrigger(set: ImageSet): ImageSet;
  /**
   * Poisons exactly round(rate * count) images drawn (seeded) among those whose label is not the target: they are
   * stamped and relabelled to the target. New bytes; `indices` lists the poisoned positions, ascending.
   */
  poison(set: ImageSet): { set: ImageSet; indices: Int32Array };
}
