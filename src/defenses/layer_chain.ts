import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors';
import { findKernel, leafLayers } from '../hooks/scorable_layers';

type Layer = tfl.layers.Layer;

/** Layers that act channel by channel and are looked through when following a convolution's output. */
const PER_CHANNEL = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU']);

/**
 * The layer named `name` and the per-channel layers (BatchNormalization, activations) that follow it, as long as
 * each is the only consumer of the one before: [conv, bn, relu] for a conv-BN-ReLU block. The last one's output is
 * the layer's post-activation feature map. Only layers of the top-level model (not inside a nested model).
 * @throws ModelError when there is no such top-level layer.
 */
export function layerChain(model: tfl.LayersModel, name: string): Layer[] {
  const layer = model.layers.find((l) => l.name === name);
  if (layer === undefined) {
    const nested = leafLayers(model).some((l) => l.name === name);
    throw new ModelError(
      nested
        ? `layer '${name}' is inside a nested model; this defense reads feature maps of top-level layers only`
        : `model '${model.name}' has no layer named '${name}'`,
      { model: model.name, layer: name },
    );
  }
  const chain = [layer];
  for (;;) {
    const last = chain[chain.length - 1] as Layer;
    const consumers = last.outboundNodes.map((n) => n.outboundLayer).filter((l) => model.layers.includes(l));
    const next = consumers[0];
    if (consumers.length !== 1 || next === undefined || !PER_CHANNEL.has(next.getClassName()) || next.inboundNodes.length !== 1) break;
    chain.push(next);
  }
  return chain;
}

/** Names of the top-level Conv2D layers (kernel larger than 1x1) of `model`, in layer order. */
export function convLayerNames(model: tfl.LayersModel): string[] {
  return model.layers
    .filter((l) => l.getClassName() === 'Conv2D')
    .filter((l) => {
      const shape = findKernel(model, l.name).shape;
      return !(shape[0] === 1 && shape[1] === 1);
    })
    .map((l) => l.name);
}

/** The last top-level Conv2D larger than 1x1: where Fine-Pruning prunes. @throws ModelError when there is none. */
export function lastConvLayer(model: tfl.LayersModel): string {
  const names = convLayerNames(model);
  const last = names[names.length - 1];
  if (last === undefined) {
    throw new ModelError(`model '${model.name}' has no top-level Conv2D layer larger than 1x1 to prune`, { model: model.name });
  }
  return last;
}
