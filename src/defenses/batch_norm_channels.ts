import * as tf from '@tensorflow/tfjs-core';
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

/** What {@link pruneChannels} switched off: channels looked at, channels pruned, and which, by layer name. */
export interface PrunedChannels {
  channels: number;
  pruned: number;
  prunedChannels: { [layer: string]: number[] };
}

/**
 * Switches off, in `model` (in place), every BatchNorm channel whose mask value `off` says is off, by zeroing its
 * gamma and beta so that the channel outputs 0. `masks` holds one value per channel, by layer name, for every
 * BatchNorm layer of `model` (ANP and RNP learn them on a copy of it, whose layer names are the same).
 */
export function pruneChannels(model: tfl.LayersModel, masks: ReadonlyMap<string, Float32Array>, off: (mask: number) => boolean): PrunedChannels {
  const prunedChannels: { [layer: string]: number[] } = {};
  let pruned = 0;
  let channels = 0;
  for (const b of batchNorms(model)) {
    const m = masks.get(b.layer.name);
    if (m === undefined) throw new ModelError(`no channel mask for BatchNorm layer '${b.layer.name}'`, { layer: b.layer.name });
    channels += m.length;
    const offChannels = Array.from(m.keys()).filter((c) => off(m[c] as number));
    if (offChannels.length === 0) continue;
    prunedChannels[b.layer.name] = offChannels;
    pruned += offChannels.length;
    tf.tidy(() => {
      const keep = tf.tensor1d(Float32Array.from(m, (v) => (off(v) ? 0 : 1)));
      b.gamma.write(tf.mul(b.gamma.read(), keep));
      b.beta.write(tf.mul(b.beta.read(), keep));
    });
  }
  return { channels, pruned, prunedChannels };
}
