import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { GradNormOptimizer } from '../optimizers/grad_norm';
import { HeadShift } from '../callbacks/head_shift';
import type { FinetuneOptions, ResolvedPurifyOptions } from './tsbd_options';
import { ConfigError } from '../errors';
import type { NwcScores } from '../hooks/nwc';
import { denseFeedingHead } from '../hooks/scorable_layers';
import { disposeOptimizer } from '../internal/dispose_optimizer';

/** An activeness-aware optimizer (gradient-norm wrapper around SGD with momentum) and what it owns. */
export interface FinetuneOptimizer {
  optimizer: GradNormOptimizer;
  /** The SGD-with-momentum optimizer inside the wrapper, whose learning rate a schedule sets. */
  inner: tf.MomentumOptimizer;
  /** Frees the wrapper and its inner optimizer's slots. Idempotent. */
  dispose(): void;
}

/** Compiles `model` for stage-2 fine-tuning and returns the optimizer, which the caller disposes after training. */
export function compileForFinetune(
  model: tfl.LayersModel,
  output: 'probabilities' | 'logits',
  f: Required<FinetuneOptions>,
): FinetuneOptimizer {
  const inner = tf.train.momentum(f.lr, f.momentum);
  const optimizer = new GradNormOptimizer(inner, { rho: f.rho, alpha: f.alpha, normalize: f.normalize });
  model.compile({ optimizer, loss: crossEntropyLoss(output), metrics: ['accuracy'] });
  let done = false;
  return {
    optimizer,
    inner,
    dispose: () => {
      if (done) return;
      done = true;
      optimizer.dispose();
      disposeOptimizer(inner);
    },
  };
}

/**
 * The head-shift callback purify's stages and probes use (seeded from `seed`), or undefined when the shift is off.
 * With `headShiftRows` < 1 it shifts only the rows of the head fed by the top-NWC units (see {@link headShiftRows}).
 */
export function stageHeadShift(o: ResolvedPurifyOptions, model: tfl.LayersModel, scores: NwcScores): HeadShift | undefined {
  if (o.headShift <= 0) return undefined;
  const rows = headShiftRows(model, scores, o.headShiftRows);
  return new HeadShift({ weight: o.headShift, seed: o.seed + 5, ...(rows === undefined ? {} : { rows }) });
}

/**
 * The head's input rows to shift for `share` < 1: the units of the hidden Dense layer feeding the output layer, by
 * descending NWC score (ties: lower index), the top round(share * units), at least one. Undefined for share 1 (the
 * whole head). Throws ConfigError when no hidden Dense layer feeds the head or NWC did not score it.
 */
export function headShiftRows(model: tfl.LayersModel, scores: NwcScores, share: number): number[] | undefined {
  if (share >= 1) return undefined;
  const feeding = rowFeedingLayer(model);
  const layer = scores.layers.find((l) => l.layerName === feeding.name);
  if (layer === undefined) {
    throw new ConfigError(`headShiftRows < 1 ranks the units of '${feeding.name}', which NWC did not score (see the layers option)`, {
      option: 'headShiftRows',
      layer: feeding.name,
    });
  }
  const s = layer.neuronScores;
  const order = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
  return order.slice(0, Math.max(1, Math.round(share * s.length)));
}

/** The hidden Dense layer feeding the output layer, whose units headShiftRows < 1 ranks. @throws ConfigError when there is none. */
export function rowFeedingLayer(model: tfl.LayersModel): tfl.layers.Layer {
  const feeding = denseFeedingHead(model);
  if (feeding === undefined) {
    throw new ConfigError(`headShiftRows < 1 needs a hidden Dense layer feeding the output layer; model '${model.name}' has none`, { option: 'headShiftRows' });
  }
  return feeding;
}
