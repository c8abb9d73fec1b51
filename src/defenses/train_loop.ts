import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { toTensors } from '../data/tensors';
import type { Phase } from '../events';
import { Rng } from '../internal/rng';
import type { DefenseRun } from './defense_run';

/** One training step on a batch: x, one-hot y. It returns the batch loss as a number and disposes what it makes. */
export type TrainStep = (x: tf.Tensor4D, y: tf.Tensor2D) => number;

/**
 * A hand-written training loop over the run's clean set, for defenses whose step `fit` cannot express (FT-SAM's
 * adaptive perturbation, NAD's distillation): `epochs` passes, each over a fresh seeded shuffle in batches of
 * `batchSize`; the clean accuracy is read after each epoch and reported as an `epochEnd` event of `phase`.
 * @returns the clean accuracy after each epoch.
 */
export async function trainLoop(
  model: tfl.LayersModel,
  run: DefenseRun,
  args: { phase: Phase; epochs: number; batchSize: number; seedOffset: number },
  step: TrainStep,
): Promise<number[]> {
  const rng = new Rng(run.seed + args.seedOffset);
  const accs: number[] = [];
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    const order = rng.permutation(run.clean.count);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += args.batchSize) {
      const { x, y } = toTensors(run.clean, run.range, order.subarray(start, start + args.batchSize));
      try {
        lossSum += step(x, y);
      } finally {
        tf.dispose([x, y]);
      }
      batches++;
    }
    const acc = await run.cleanAcc(model);
    accs.push(acc);
    run.events?.emit('epochEnd', args.phase, epoch + 1, args.epochs, lossSum / batches, acc);
  }
  return accs;
}

/** The model's trainable variables as tf.Variables (LayerVariable.read() returns the live variable). */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Mean cross-entropy with label smoothing `smoothing` (targets (1 - s) * y + s / classes); probabilities or logits. */
export function smoothedCrossEntropy(output: 'probabilities' | 'logits', y: tf.Tensor, pred: tf.Tensor, smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const classes = y.shape[y.shape.length - 1] as number;
    const target = tf.add(tf.mul(y, 1 - smoothing), smoothing / classes);
    const logP =
      output === 'logits' ? tf.logSoftmax(pred, -1) : tf.log(tf.clipByValue(tf.div(pred, tf.sum(pred, -1, true)), 1e-7, 1 - 1e-7));
    return tf.mean(tf.neg(tf.sum(tf.mul(target, logP), -1))) as tf.Scalar;
  });
}
