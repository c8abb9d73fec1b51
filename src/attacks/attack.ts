import type { ImageSet } from '../data/image_set';

/** Who the poisoned images are sent to: one target class, or each class y to (y + 1) mod C. */
export type AttackMode = 'all-to-one' | 'all-to-all';

/**
 * The JSON-able description of an attack, enough to re-create it (attack.json). Each attack narrows it to its own
 * config type; the union of those is `AttackConfig` in registry.ts, which owns the list of attacks.
 */
export interface BaseAttackConfig {
  readonly name: string;
  readonly target: number;
  readonly rate: number;
  readonly seed: number;
  readonly mode: AttackMode;
}

/**
 * A generated or learned trigger part (a blend image, a warping field, a perturbation), saved as raw bytes beside
 * attack.json. `shape` is the tensor shape the bytes hold; `dtype` says how they are read.
 */
export interface AttackAsset {
  readonly bytes: Uint8Array;
  readonly dtype: 'uint8' | 'float32';
  readonly shape: readonly number[];
}

/** A backdoor attack on image classifiers. */
export interface Attack<C extends BaseAttackConfig = BaseAttackConfig> {
  readonly name: string;
  /** The target class of an all-to-one attack (ignored by all-to-all, which still records it). */
  readonly target: number;
  /** Fraction of the training set poisoned, in [0, 1]. */
  readonly rate: number;
  readonly mode: AttackMode;
  /** The label a triggered image of class `label` is sent to. */
  poisonLabel(label: number, numClasses: number): number;
  config(): C;
  /**
   * The generated or learned parts of the trigger for images of this shape, by name (made deterministically from
   * the config on first use, or as given when re-created from saved assets). Empty when the trigger is all in the config.
   */
  assets(height: number, width: number, channels: number): Record<string, AttackAsset>;
  /** Every image stamped with the trigger, labels unchanged. New bytes, in 0..255; the input is untouched. */
  applyTrigger(set: ImageSet): ImageSet;
  /**
   * The poisoned training set: the images at `indices` (ascending) are stamped and relabelled (dirty-label) or
   * stamped only (clean-label). New bytes; the input is untouched.
   */
  poison(set: ImageSet): { set: ImageSet; indices: Int32Array };
  /**
   * Training-time poisoning, present only for an attack whose reference poisons each training batch afresh instead of
   * the data once (WaNet): a new function that stamps part of each (shuffled) batch it is given, drawing its random
   * parts from a generator seeded by the config, so that a training run is reproducible. Pass it to
   * `trainClassifier`'s `transformBatch` with the clean training set. It returns new bytes; the batch is untouched.
   */
  batchPoisoner?(): (batch: ImageSet) => ImageSet;
}

/** One attack-specific option, as `tsbd attack` and `tsbd attacks` show it. */
export interface AttackOption {
  /** The CLI flag, kebab-case without the dashes (e.g. 'blend-alpha'). */
  readonly flag: string;
  /** The config field it sets (e.g. 'alpha'). */
  readonly key: string;
  /** How the CLI parses it: 'int' non-negative integer, 'number' finite number, 'choice' one of `choices`, 'position' a patch position. */
  readonly kind: 'int' | 'number' | 'choice' | 'position';
  readonly choices?: readonly string[];
  readonly default: number | string;
  /** One line: what it is, with its unit. */
  readonly help: string;
}
