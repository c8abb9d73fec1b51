import * as tf from '@tensorflow/tfjs-core';
import { checkOutputKind, perExampleCrossEntropy, PROB_EPSILON, type LossFn, type OutputKind } from './cross_entropy';

/** -ln(1e-7): the largest per-example cross-entropy the clipped probabilities path can reach. */
export const UNLEARNING_CE_CAP = -Math.log(PROB_EPSILON);

/**
 * The clean-unlearning loss of TSBD stage 1a: the NEGATED categorical cross-entropy, averaged over the batch, so
 * that `model.fit` (which minimises) performs gradient ascent on the cross-entropy of the clean set.
 * Probabilities are renormalised and clipped to [1e-7, 1 - 1e-7] as Keras does; logits go through logSoftmax, and
 * their per-example cross-entropy is capped at -ln(1e-7) = 16.12, the bound the clipping sets for probabilities.
 *
 * Why the cap: ascent on a logits cross-entropy is unbounded. Measured on a logits model of the zoo (D3: conv-BN,
 * flatten, Dense 128, linear output, Adam-trained), unlearning at lr 0.01 drove the weights to non-finite values in
 * two epochs, and the NWC scores with them. With the cap an example stops pushing once its true class has
 * probability below 1e-7, as it does for a softmax model.
 *
 * @example
 * copy.compile({optimizer: tf.train.momentum(1e-4, 0.9), loss: unlearningLoss('probabilities')});
 * // probs [0.5, 0.25, 0.25] with label 0 -> loss ln 0.5 = -0.693
 */
export function unlearningLoss(output: OutputKind): LossFn {
  checkOutputKind(output);
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const ce = perExampleCrossEntropy(output, yTrue, yPred);
      return tf.neg(tf.mean(output === 'logits' ? tf.minimum(ce, UNLEARNING_CE_CAP) : ce));
    });
}
