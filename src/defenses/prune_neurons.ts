import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { findKernel, leafLayers } from '../hooks/scorable_layers';
import { layerChain } from './layer_chain';

/** A neuron to prune: output unit `neuron` of layer `layer`. */
export interface NeuronRef {
  readonly layer: string;
  readonly neuron: number;
}

/** Sets the entries of `variable` at positions p with keep(p) false to 0, in place. */
function zeroWhere(variable: tfl.LayerVariable, keep: (flat: number) => boolean): void {
  tf.tidy(() => {
    const w = variable.read();
    const mask = tf.tensor(Uint8Array.from({ length: w.size }, (_, i) => (keep(i) ? 1 : 0)), w.shape, 'bool');
    variable.write(tf.where(mask, w, tf.zerosLike(w)));
  });
}

/**
 * Prunes neurons of `model` in place, so that each pruned channel outputs 0: every incoming kernel weight and the
 * bias of the neuron are set to 0, and when the layer is followed by a BatchNormalization (its only consumer,
 * possibly through activations; see {@link layerChain}) that channel's gamma and beta are set to 0 too, since the
 * normalisation would otherwise turn a zero input into -gamma * mean / sd + beta. Neurons of layers inside a nested
 * model are pruned in their kernel and bias only.
 *
 * This is the masking Fine-Pruning and CLP apply (a pruned channel is dead; its weights are not removed from the
 * architecture, so the model keeps its shape and can be saved and fine-tuned as before).
 *
 * @returns the number of neurons pruned and of kernel elements zeroed.
 * @throws ModelError when a layer is missing or has no scorable kernel.
 */
export function pruneNeurons(model: tfl.LayersModel, neurons: readonly NeuronRef[]): { neurons: number; weights: number } {
  const byLayer = new Map<string, Set<number>>();
  for (const n of neurons) {
    const set = byLayer.get(n.layer) ?? new Set<number>();
    set.add(n.neuron);
    byLayer.set(n.layer, set);
  }
  let weights = 0;
  for (const [name, set] of byLayer) {
    const k = findKernel(model, name);
    const numNeurons = k.numNeurons;
    zeroWhere(k.variable, (i) => !set.has(i % numNeurons));
    weights += (k.shape.reduce((a, b) => a * b, 1) / numNeurons) * set.size;
    const top = model.layers.find((l) => l.name === name);
    const owner = top ?? leafLayers(model).find((l) => l.name === name);
    const bias = owner?.weights.find((w) => /(^|\/)bias$/.test(w.originalName));
    if (bias !== undefined) zeroWhere(bias, (i) => !set.has(i));
    if (top === undefined) continue;
    const bn = layerChain(model, name).find((l) => l.getClassName() === 'BatchNormalization');
    if (bn === undefined) continue;
    for (const w of bn.weights) {
      if (/(^|\/)(gamma|beta)$/.test(w.originalName) && w.shape.length === 1 && w.shape[0] === numNeurons) zeroWhere(w, (i) => !set.has(i));
    }
  }
  return { neurons: [...byLayer.values()].reduce((a, s) => a + s.size, 0), weights };
}
