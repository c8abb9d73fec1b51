import type * as tfl from '@tensorflow/tfjs-layers';
import { validateImageSet, type ImageSet } from '../data/image_set';
import type { PixelRange } from '../data/tensors';
import type { TsbdEmitter } from '../events';

declare const CLEAN_BRAND: unique symbol;

/**
 * The defender's clean labelled images. A plain {@link ImageSet} cannot be passed where a CleanSet is expected: the
 * caller declares the set clean with {@link cleanSet}, so that a poisoned set (an attack's `poison(...).set`) or a
 * stamped test set never reaches a defense by accident. The brand exists only in the type system.
 */
export type CleanSet = ImageSet & { readonly [CLEAN_BRAND]: 'defender-clean' };

/** Declares `set` the defender's clean set (validated; the bytes are not copied). @throws DataShapeError on a bad set. */
export function cleanSet(set: ImageSet): CleanSet {
  validateImageSet(set, 'clean set');
  return set as CleanSet;
}

/**
 * A defense option value: a number, a string or a boolean. Options are scalars on purpose: nothing a defense is
 * given through them can carry images, so no threshold or stopping rule can be tuned on poisoned or test data.
 */
export type OptionValue = number | string | boolean;

/** The options a defense is run with, by name (see {@link Defense.options}); unknown names are refused. */
export type DefenseOptions = Readonly<Record<string, OptionValue>>;

/** One option a defense accepts, as `tsbd defenses` lists it. */
export interface OptionSpec {
  readonly name: string;
  /**
   * 'fraction-or-auto': a number in [0, 1] or the string 'auto'; 'number-or-auto': a number in [min, max] or 'auto';
   * 'boolean-or-auto': true, false or 'auto'.
   */
  readonly type: 'number' | 'integer' | 'boolean' | 'boolean-or-auto' | 'fraction-or-auto' | 'number-or-auto';
  readonly default: OptionValue;
  /** Bounds for numbers, inclusive unless `minExclusive`. */
  readonly min?: number;
  readonly max?: number;
  /** `min` itself is refused (a share or a rate that must be positive). @default false */
  readonly minExclusive?: boolean;
  /** What it is, with its unit and where the default comes from. */
  readonly doc: string;
}

/** Everything a defense needs besides the model and the clean set. */
export interface DefenseContext {
  /** The values pixel 0 and 255 map to: the input range the model was trained on. @default {min: 0, max: 1} */
  readonly range?: PixelRange;
  /** Seeds every shuffle and random choice. @default 0 */
  readonly seed?: number;
  /** Progress events (phases, epochs, warnings). */
  readonly events?: TsbdEmitter;
}

/** JSON data a defense reports about its own choices (counts, fractions, layer names, per-epoch accuracies). */
export type ReportValue = number | string | boolean | null | readonly ReportValue[] | { readonly [key: string]: ReportValue };

/** What a defense did, as plain data. Accuracies are fractions in [0, 1] on the defender's clean set. */
export interface DefenseReport {
  /** The registry name of the defense that ran. */
  readonly defense: string;
  /** The options it ran with, defaults filled in. */
  readonly options: Readonly<Record<string, OptionValue>>;
  /** Wall seconds per phase, in the order they ran, and `total`. */
  readonly seconds: Readonly<Record<string, number>>;
  /** Clean accuracy of the model as given and of the result. */
  readonly cleanAcc: { readonly before: number; readonly after: number };
  /** What the defense chose (neurons pruned, thresholds, epochs run, ...), defense-specific. */
  readonly chose: { readonly [key: string]: ReportValue };
  /** The tfjs backend the work ran on. */
  readonly backend: string;
}

/** What {@link Defense.run} returns: a NEW model (the caller owns and disposes it) and the report. */
export interface DefenseResult {
  readonly model: tfl.LayersModel;
  readonly report: DefenseReport;
}

/**
 * A backdoor defense that works from a suspect model and a small clean set. It never changes the model it is given:
 * it returns a new model with new variables. What it receives is the model, the clean set, scalar options and a
 * context (pixel range, seed, events): no type here can hold poisoned or test data.
 */
export interface Defense {
  /** Registry name, kebab-case (e.g. 'fp', 'nwc-fp', 'ft-sam'). */
  readonly name: string;
  /** One line: what it does and the paper it follows. */
  readonly summary: string;
  /** The options it accepts, with defaults. */
  readonly options: readonly OptionSpec[];
  run(model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult>;
}
