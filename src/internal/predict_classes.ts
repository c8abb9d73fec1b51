import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The class each input is predicted as (argMax of the model's first output, in inference mode, `batchSize` inputs
 * per forward pass), for the callbacks that read accuracy on tensors a user passed in. Call inside `tf.tidy`.
 */
export function predictClasses(model: tfl.LayersModel, x: tf.Tensor, batchSize: number): tf.Tensor {
  const pred = model.predict(x, { batchSize });
  return tf.argMax(Array.isArray(pred) ? (pred[0] as tf.Tensor) : pred, -1);
}
