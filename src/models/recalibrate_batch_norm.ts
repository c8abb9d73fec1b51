import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type { ImageSet } from '../data/image_set';
import { toInputs, UNIT_RANGE, type PixelRange } from '../data/tensors';
import { checkNumber } from '../internal/assert';
import { leafLayers } from '../hooks/scorable_layers';

/** Options of {@link recalibrateBatchNorm}. */
export interface RecalibrateBatchNormArgs {
  /** Images per forward pass. @default 256 */
  batchSize?: number;
  /** The values pixel 0 and 255 map to. @default {min: 0, max: 1} */
  range?: PixelRange;
}

/** The `momentum` field tfjs' BatchNormalization reads on every training-mode call (not part of its typed API). */
interface WithMomentum {
  momentum: number;
}

/**
 * Re-estimates the moving mean and variance of every BatchNormalization layer of `model` (nested models included)
 * from `set`, in place: one pass of training-mode forward calls, each batch's statistics weighted by its number of
 * images (a batch of b after s images enters with weight b / (s + b), so the result is the image-weighted mean of the
 * batch statistics, whatever the layer's momentum). Nothing else changes: no gradient is taken and every other
 * weight keeps its value.
 *
 * Why: zero re-initialisation changes what each BatchNorm layer sees, while its moving statistics still describe the
 * old network; inference then normalises with the wrong mean and variance. tfjs' default BN momentum is 0.99, so a
 * short recovery fine-tuning (30 steps) replaces only 1 - 0.99^30 = 26% of the stale statistics, and held-out
 * accuracy measured after it says more about the stale statistics than about the re-initialisation.
 *
 * Dropout layers run in training mode during the pass too (as they do during `fit`).
 *
 * @returns the number of BatchNormalization layers recalibrated (0 when the model has none: nothing runs).
 */
export function recalibrateBatchNorm(model: tfl.LayersModel, set: ImageSet, args: RecalibrateBatchNormArgs = {}): number {
  const batchSize = args.batchSize ?? 256;
  checkNumber('batchSize', batchSize, 1, Infinity, { integer: true });
  const layers = leafLayers(model).filter((l) => l.getClassName() === 'BatchNormalization') as unknown as WithMomentum[];
  if (layers.length === 0) return 0;
  const saved = layers.map((l) => l.momentum);
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      const b = Math.min(batchSize, set.count - start);
      const idx = Array.from({ length: b }, (_, k) => start + k);
      // tfjs updates moving = moving - (moving - batch) * (1 - momentum): weight b / (start + b) for this batch.
      for (const l of layers) l.momentum = start / (start + b);
      const x = toInputs(set, args.range ?? UNIT_RANGE, idx);
      try {
        tf.tidy(() => {
          model.apply(x, { training: true });
        });
      } finally {
        x.dispose();
      }
    }
  } finally {
    layers.forEach((l, k) => {
      l.momentum = saved[k] as number;
    });
  }
  return layers.length;
}
