import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Attack } from '../attacks/attack';
import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { toInputs, UNIT_RANGE, type PixelRange } from '../data/tensors';
import { checkNumber } from '../internal/assert';

/** Options of {@link evaluate} and {@link predictLabels}. */
export interface EvaluateOptions {
  /** The values pixel 0 and 255 map to. @default {min: 0, max: 1} */
  range?: PixelRange;
  /** Images per predict call. @default 256 */
  batchSize?: number;
}

/**
 * The model's predicted class per image (`model.predict`, i.e. inference mode; argmax over the last axis), as plain
 * numbers. Tensors are made and freed batch by batch; nothing is returned that needs disposing.
 */
export async function predictLabels(model: tfl.LayersModel, set: ImageSet, opts: EvaluateOptions = {}): Promise<Int32Array> {
  const batchSize = opts.batchSize ?? 256;
  checkNumber('batchSize', batchSize, 1, Infinity, { integer: true });
  const out = new Int32Array(set.count);
  for (let start = 0; start < set.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, k) => start + k);
    const labels = tf.tidy(() => {
      const x = toInputs(set, opts.range ?? UNIT_RANGE, idx);
      return tf.argMax(model.predict(x) as tf.Tensor, -1);
    });
    out.set(await labels.data(), start);
    labels.dispose();
  }
  return out;
}

/**
 * BackdoorBench metrics, as fractions in [0, 1]: ACC on the clean test set; on the test images the attack would
 * relabel (all-to-one: those whose true class is NOT the target; all-to-all: every image), stamped with the
 * trigger, ASR = share predicted as the attack's label for them and RA = share predicted as their true class.
 * Without an attack, asr and ra are NaN (also when every test image is of the target class).
 * Returns plain numbers; every tensor made on the way is freed.
 */
export async function evaluate(
  model: tfl.LayersModel,
  test: ImageSet,
  attack?: Attack,
  opts: EvaluateOptions = {},
): Promise<{ acc: number; asr: number; ra: number }> {
  const pred = await predictLabels(model, test, opts);
  let correct = 0;
  for (let i = 0; i < test.count; i++) if (pred[i] === test.labels[i]) correct++;
  const acc = correct / test.count;
  if (attack === undefined) return { acc, asr: Number.NaN, ra: Number.NaN };
  const keep: number[] = [];
  const label = (y: number): number => attack.poisonLabel(y, test.numClasses);
  for (let i = 0; i < test.count; i++) if (label(test.labels[i] as number) !== test.labels[i]) keep.push(i);
  const nonTarget = subset(test, keep);
  const stamped = attack.applyTrigger(nonTarget);
  const p = await predictLabels(model, stamped, opts);
  let hit = 0;
  let robust = 0;
  for (let i = 0; i < stamped.count; i++) {
    if (p[i] === label(stamped.labels[i] as number)) hit++;
    else if (p[i] === stamped.labels[i]) robust++;
  }
  return { acc, asr: hit / stamped.count, ra: robust / stamped.count };
}
