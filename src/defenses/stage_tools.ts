import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { crossEntropyLoss } from '../losses/cross_entropy';
import { GradNormOptimizer } from '../optimizers/grad_norm';
import { HeadShift } from '../callbacks/head_shift';
import type { FinetuneOptions, ResolvedPurifyOptions } from './tsbd_options';
import { disposeOptimizer } from '../internal/dispose_optimizer';

/** An activeness-aware optimizer (gradient-norm wrapper around SGD with momentum) and what it owns. */
export interface FinetuneOptimizer {
  optimizer: GradNormOptimizer;
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
    dispose: () => {
      if (done) return;
      done = true;
      optimizer.dispose();
      disposeOptimizer(inner);
    },
  };
}

/** The head-shift callback purify's stages and probes use (seeded from `seed`), or undefined when the shift is off. */
export function stageHeadShift(o: ResolvedPurifyOptions): HeadShift | undefined {
  return o.headShift > 0 ? new HeadShift({ weight: o.headShift, seed: o.seed + 5 }) : undefined;
}
