import * as tf from '@tensorflow/tfjs-core';
import { checkOutputKind, perExampleCrossEntropy, type LossFn, type OutputKind } from './cross_entropy';

/**
 * The clean-unlearning loss of TSBD stage 1a: the NEGATED categorical cross-entropy, averaged over the batch, so
 * that `model.fit` (which minimises) performs gradient ascent on the cross-entropy of the clean set.
 * Probabilities are renormalised and clipped to [1e-7, 1 - 1e-7] as Keras does; logits go through logSoftmax.
 *
 * @example
 * copy.compile({optimizer: tf.train.momentum(1e-4, 0.9), loss: unlearningLoss('probabilities')});
 * // probs [0.5, 0.25, 0.25] with label 0 -> loss ln 0.5 = -0.693
 */
export function unlearningLoss(output: OutputKind): LossFn {
  checkOutputKind(output);
  return (yTrue, yPred) => tf.tidy(() => tf.neg(tf.mean(perExampleCrossEntropy(output, yTrue, yPred))));
}
