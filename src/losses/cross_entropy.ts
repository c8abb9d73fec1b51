import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';

/** What a classifier's last layer emits: softmax probabilities, or raw logits. */
export type OutputKind = 'probabilities' | 'logits';

/** Clipping bound for probabilities, as Keras' `epsilon()`. */
export const PROB_EPSILON = 1e-7;

/** A loss function in the shape `LayersModel.compile({loss})` accepts. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export function checkOutputKind(output: OutputKind): void {
  if (output !== 'probabilities' && output !== 'logits') {
    throw new ConfigError(`output must be 'probabilities' or 'logits'; received ${String(output)}`, {
      option: 'output',
      received: output,
    });
  }
}

/**
 * Per-example categorical cross-entropy, shape [batch]. `yTrue` is one-hot (or a distribution) over the last axis.
 * - 'probabilities': predictions are renormalised to sum 1 and clipped to [1e-7, 1 - 1e-7], as Keras does.
 * - 'logits': -sum(yTrue * logSoftmax(yPred)), numerically stable.
 * @returns a new tensor; the caller disposes it (or calls this inside tf.tidy).
 */
export function perExampleCrossEntropy(output: OutputKind, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const logP =
      output === 'logits'
        ? tf.logSoftmax(yPred, -1)
        : tf.log(tf.clipByValue(tf.div(yPred, tf.sum(yPred, -1, true)), PROB_EPSILON, 1 - PROB_EPSILON));
    return tf.neg(tf.sum(tf.mul(yTrue, logP), -1));
  });
}

/**
 * Categorical cross-entropy, averaged over the batch: the fine-tuning loss. Pass the result to
 * `model.compile({loss})`.
 *
 * @example
 * model.compile({optimizer: tf.train.sgd(0.01), loss: crossEntropyLoss('probabilities'), metrics: ['acc']});
 * // probs [0.5, 0.25, 0.25] with label 0 -> loss ln 2 = 0.693
 */
export function crossEntropyLoss(output: OutputKind): LossFn {
  checkOutputKind(output);
  return (yTrue, yPred) => tf.tidy(() => tf.mean(perExampleCrossEntropy(output, yTrue, yPred)));
}
