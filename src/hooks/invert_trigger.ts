import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/image_set';
import type { PixelRange } from '../data/tensors';
import { checkCleanSetFits } from '../defenses/check_clean_set';
import {
  invertEveryClass,
  resolveInversionOptions,
  withInvertedTrigger,
  type InversionOptions,
  type InvertedTrigger,
} from '../defenses/trigger_inversion';
import { checkConfig } from '../internal/assert';
import { outputKind } from '../models/output_kind';

/** Arguments of {@link invertTrigger}: the inversion's settings, and how the model reads its images. */
export interface InvertTriggerArgs extends InversionOptions {
  /** Pixel range the model was trained on (pixel 0 and 255 map to min and max). @default {min: 0, max: 1} */
  range?: PixelRange;
  /** Seeds the batches the masks are optimised on and the images stamped. @default 0 */
  seed?: number;
  /** Called after each class, with its smallest mask's L1 in pixels (NaN when no mask reached `success`). */
  onClass?: (cls: number, maskL1: number) => void;
}

/** What {@link invertTrigger} found, and the fine-tuning set built from it. */
export interface TriggerInversion {
  /** Per class, the L1 of the smallest mask that sent `success` of the other classes' images to it, in pixels. */
  maskL1: number[];
  /** The trigger candidate: the class whose mask was smallest; undefined when no class's mask succeeded. */
  smallest: InvertedTrigger | undefined;
  /**
   * The clean set followed by `share` of it stamped with `smallest` under the images' own labels (the clean set
   * alone when nothing was found): the set to fine-tune on, so that the model learns the trigger means nothing.
   */
  tuneSet: ImageSet;
}

/**
 * The trigger inversion `purify` runs first on nets whose output is fed by a hidden Dense layer (PurifyOptions.invert),
 * for a script that runs the stages itself: call it before the fine-tuning `fit` and fit on `tuneSet` instead of the
 * clean set. Why: on such nets zeroing the most-moved weights leaves the backdoor, which lies along one direction of
 * the head's input that clean unlearning does not find and the inverted trigger does (docs/foreign-models.md).
 * `model` is not changed. Takes about 10 x `steps` forward and backward passes of `batchSize` images.
 *
 * @example
 * const { tuneSet, smallest } = hooks.invertTrigger(model, clean);
 * const { fraction } = await chooseReinitFraction(model, scores, clean, { invert: smallest !== undefined });
 * const { x, y } = data.toTensors(tuneSet);   // stage 2's fit runs on these
 */
export function invertTrigger(model: tfl.LayersModel, clean: ImageSet, args: InvertTriggerArgs = {}): TriggerInversion {
  checkCleanSetFits(model, clean);
  const { range = { min: 0, max: 1 }, seed = 0, onClass, ...options } = args;
  checkConfig(Number.isInteger(seed) && seed >= 0, () => `seed must be a non-negative integer; received ${String(seed)}`);
  const o = resolveInversionOptions(options);
  const { maskL1, smallest } = invertEveryClass(model, outputKind(model), clean, range, o, seed, onClass);
  const tuneSet = smallest === undefined ? clean : withInvertedTrigger(clean, smallest, o.share, seed + 9);
  return { maskL1, smallest, tuneSet };
}
