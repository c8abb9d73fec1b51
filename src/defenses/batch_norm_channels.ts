import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors';
import { leafLayers } from '../hooks/scorable_layers';

/** A BatchNormalization layer with its per-channel scale (gamma) and shift (beta). */
export interface BatchNormChannels {
  layer: tfl.layers.Layer;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
}

/** The BatchNormalization layers of `model` with their gamma and beta (those built with scale and center on). */
export function batchNorms(model: tfl.LayersModel): BatchNormChannels[] {
  const out: BatchNormChannels[] = [];
  for (const layer of leafLayers(model)) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const gamma = layer.weights.find((w) => w.originalName.endsWith('gamma'));
    const beta = layer.weights.find((w) => w.originalName.endsWith('beta'));
    if (gamma !== undefined && beta !== undefined) out.push({ layer, gamma, beta });
  }
  return out;
}

/**
 * Throws a ModelError naming `defense` when `model` has no BatchNorm channels to mask: ANP and RNP act on BatchNorm's
 * gamma and beta, so a model without them cannot be defended that way.
 */
export function requireBatchNorm(model: tfl.LayersModel, defense: string, action: string): void {
  if (batchNorms(model).length === 0) {
    throw new ModelError(`${defense} ${action} BatchNorm channels; model '${model.name}' has no BatchNormalization layer with gamma and beta`, { model: model.name });
  }
}
