import type * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors';
import { leafLayers, outputHead } from '../hooks/scorable_layers';

/**
 * Runs `train` with only the output Dense layer trainable (every other layer, nested models' too, frozen), then puts
 * every layer's `trainable` flag back, also when `train` throws. `train` must compile the model itself: tfjs reads
 * the flags when a model is compiled, so compile again after it before training the whole net. Give each compile an
 * optimizer of its own: tfjs optimizers keep their slots by the position of a variable in the list they first saw.
 *
 * Why: a head re-drawn at random (callbacks.headShift, purify's head shift) sends large random gradients into the
 * features while it is still wrong; a few epochs of the head alone first kept what the features had learned
 * (PurifyOptions.headWarmup).
 *
 * @example
 * await models.withOnlyHeadTrainable(model, async () => {
 *   model.compile({optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy'});
 *   await model.fit(x, y, {epochs: 5, callbacks: [reinit, shift]});
 * });
 */
export async function withOnlyHeadTrainable<T>(model: tfl.LayersModel, train: () => Promise<T>): Promise<T> {
  const head = outputHead(model);
  if (head === undefined) throw new ConfigError(`training the head alone needs a Dense output layer; model '${model.name}' has none`, { option: 'headWarmup' });
  const layers = leafLayers(model);
  const saved = layers.map((l) => l.trainable);
  try {
    for (const l of layers) l.trainable = l === head;
    return await train();
  } finally {
    layers.forEach((l, i) => {
      l.trainable = saved[i] as boolean;
    });
  }
}
