import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/image_set';
import { toInputs, type PixelRange } from '../data/tensors';
import { ModelError } from '../errors';
import { layerChain } from './layer_chain';
import { rankNeurons, type NeuronRanking } from './neuron_scores';

/**
 * Mean activation of each channel of layer `layerName` over `set` (inference mode): the layer's post-activation
 * output (after the BatchNorm and activation that follow it, see {@link layerChain}), averaged over images and
 * spatial positions. Plain numbers; every tensor is freed.
 * @throws ModelError when the layer is not a top-level layer.
 */
export async function meanActivations(
  model: tfl.LayersModel,
  layerName: string,
  set: ImageSet,
  range: PixelRange,
  batchSize = 256,
): Promise<Float32Array> {
  const chain = layerChain(model, layerName);
  const last = chain[chain.length - 1] as tfl.layers.Layer;
  const output = last.output;
  if (Array.isArray(output)) throw new ModelError(`layer '${last.name}' has several outputs`, { layer: last.name });
  // A view on the same layers: it owns no variable, so it is not disposed (that would release the shared layers).
  const features = tfl.model({ inputs: model.inputs, outputs: output });
  let sums: Float64Array | undefined;
  for (let start = 0; start < set.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, k) => start + k);
    const batchSum = tf.tidy(() => {
      const x = toInputs(set, range, idx);
      const f = features.predict(x) as tf.Tensor;
      return tf.sum(f, [...Array(f.rank - 1).keys()]);
    });
    const values = await batchSum.data();
    batchSum.dispose();
    sums ??= new Float64Array(values.length);
    for (let c = 0; c < values.length; c++) sums[c] = (sums[c] as number) + (values[c] as number);
  }
  const shape = output.shape;
  const spatial = shape.slice(1, -1).reduce<number>((a, b) => a * (b ?? 1), 1);
  return Float32Array.from(sums ?? [], (s) => s / (set.count * spatial));
}

/**
 * Fine-Pruning's scorer (Liu et al., RAID 2018): a channel is suspect when it is dormant on clean data, so the score
 * is minus the mean activation; the ranking lists the least active channels first.
 */
export function dormancyRanking(layerName: string, means: Float32Array): NeuronRanking {
  return rankNeurons([{ layerName, numNeurons: means.length, neuronScores: Float32Array.from(means, (m) => -m) }]);
}
