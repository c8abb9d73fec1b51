import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UnlearningStop } from '../callbacks/unlearning_stop';
import { toTensors } from '../data/tensors';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import { unlearningLoss } from '../losses/unlearning_loss';
import { cloneModel } from '../models/clone_model';
import { fitImageSet } from '../training/fit_image_set';
import { batchNorms, pruneChannels, requireBatchNorm } from './batch_norm_channels';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense, type DefenseRun } from './defense_run';
import { autoBatchSize } from './finetune_clean';
import { trainLoop } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'unlearn-lr', type: 'number', default: 0.01, min: 0, minExclusive: true, doc: 'SGD learning rate of the unlearning (gradient ascent)' },
  { name: 'unlearn-target', type: 'number', default: 0.2, min: 0, max: 1, doc: 'unlearning stops once clean accuracy is at or below this (RNP: 0.2)' },
  { name: 'unlearn-epochs', type: 'integer', default: 20, min: 1, doc: 'unlearning epoch cap' },
  { name: 'mask-lr', type: 'number', default: 0.2, min: 0, doc: 'SGD learning rate of the channel masks during recovery (RNP: 0.2)' },
  { name: 'mask-epochs', type: 'integer', default: 20, min: 1, doc: 'recovery epochs' },
  { name: 'threshold', type: 'number', default: 0.2, min: 0, max: 1, doc: 'channels whose recovered mask is at or below this are pruned (RNP: 0.2)' },
  { name: 'batch-size', type: 'integer', default: 0, min: 0, doc: 'images per step; 0 = 256, or less so that an epoch has 10 steps' },
];

interface BnMask {
  layer: tfl.layers.Layer;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  gamma0: tf.Tensor;
  beta0: tf.Tensor;
  mask: tf.Variable;
  velocity: tf.Variable;
}

/** Stage 1: gradient ascent on a copy until clean accuracy reaches the target (or the cap). The caller disposes it. */
async function unlearnCopy(model: tfl.LayersModel, run: DefenseRun, batchSize: number): Promise<{ copy: tfl.LayersModel; epochs: number; stopReason: string }> {
  const copy = cloneModel(model);
  const optimizer = tf.train.momentum(run.options.number('unlearn-lr'), 0.9);
  const { x, y } = toTensors(run.clean, run.range);
  try {
    copy.compile({ optimizer, loss: unlearningLoss(run.output) });
    const stop = new UnlearningStop({ x, y, targetAcc: run.options.number('unlearn-target'), maxEpochs: run.options.number('unlearn-epochs') });
    await fitImageSet(copy, run.clean, { epochs: run.options.number('unlearn-epochs'), batchSize, seed: run.seed, augment: false, range: run.range, callbacks: [stop] });
    return { copy, epochs: stop.history.length, stopReason: stop.stopReason ?? 'maxEpochs' };
  } catch (e) {
    copy.dispose();
    throw e;
  } finally {
    tf.dispose([x, y]);
    disposeOptimizer(optimizer);
  }
}

/**
 * Stage 2: on the unlearned copy, learns one mask m in [0, 1] per BatchNorm channel by minimising clean
 * cross-entropy, every other weight frozen. The mask multiplies the channel's output, gamma * xhat + beta, so it is
 * applied by writing m * gamma0 and m * beta0 into the layer before each step, and its gradient is
 * dL/dgamma * gamma0 + dL/dbeta * beta0. Momentum SGD (0.9), clipped to [0, 1] after each step.
 * @returns the masks per BatchNorm layer name.
 */
async function recoverMasks(copy: tfl.LayersModel, run: DefenseRun, batchSize: number): Promise<Map<string, Float32Array>> {
  const masks: BnMask[] = batchNorms(copy).map((b) => ({
    ...b,
    gamma0: tf.clone(b.gamma.read()),
    beta0: tf.clone(b.beta.read()),
    // tidy frees the ones / zeros the variables are made from (variables are not tidied).
    mask: tf.tidy(() => tf.variable(tf.onesLike(b.gamma.read()))),
    velocity: tf.tidy(() => tf.variable(tf.zerosLike(b.gamma.read()))),
  }));
  const lr = run.options.number('mask-lr');
  try {
    await trainLoop(copy, run, { phase: 'finetune', epochs: run.options.number('mask-epochs'), batchSize, seedOffset: 3 }, (x, y) =>
      tf.tidy(() => {
        for (const m of masks) {
          m.gamma.write(tf.mul(m.mask, m.gamma0));
          m.beta.write(tf.mul(m.mask, m.beta0));
        }
        const vars = masks.flatMap((m) => [m.gamma.read() as tf.Variable, m.beta.read() as tf.Variable]);
        const { value, grads } = tf.variableGrads(
          () => tf.mean(perExampleCrossEntropy(run.output, y, copy.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          vars,
        );
        for (const m of masks) {
          const g = tf.add(tf.mul(grads[(m.gamma.read() as tf.Variable).name] as tf.Tensor, m.gamma0), tf.mul(grads[(m.beta.read() as tf.Variable).name] as tf.Tensor, m.beta0));
          m.velocity.assign(tf.add(tf.mul(m.velocity, 0.9), g));
          m.mask.assign(tf.clipByValue(tf.sub(m.mask, tf.mul(lr, m.velocity)), 0, 1));
        }
        return value.dataSync()[0] as number;
      }),
    );
    return new Map(masks.map((m) => [m.layer.name, Float32Array.from(m.mask.dataSync())]));
  } finally {
    for (const m of masks) tf.dispose([m.gamma0, m.beta0, m.mask, m.velocity]);
  }
}

/**
 * RNP, Reconstructive Neuron Pruning (Li, Lyu, Ma, Koren, Shen, Li and Ma, ICML 2023): unlearn a copy of the model
 * on the clean set (gradient ascent) until clean accuracy falls to 0.2, then recover its clean accuracy by learning
 * only a mask per channel, and prune from the ORIGINAL model the channels the recovery left nearly off: they are the
 * ones the clean task does not need once the backdoor path is exposed by unlearning.
 *
 * Choices (RNP's CIFAR-10 settings as we read them): unlearning SGD lr 0.01, momentum 0.9, stop at clean accuracy
 * <= 0.2 or 20 epochs; masks on the BatchNorm channels, recovery 20 epochs at lr 0.2 (momentum 0.9), prune masks <=
 * 0.2; pruning sets that channel's BatchNorm gamma and beta to 0, so it outputs 0. No fine-tuning after. Needs a
 * model with BatchNorm (a ModelError otherwise).
 */
export const rnp: Defense = {
  name: 'rnp',
  summary: 'RNP (Li et al. 2023): unlearn, recover with channel masks, prune the channels left off',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('rnp', OPTIONS, model, clean, options, context, async (run) => {
      requireBatchNorm(model, 'RNP', 'masks');
      const batchSize = autoBatchSize(run.options.number('batch-size'), clean.count);
      const { copy, epochs, stopReason } = await run.phase('unlearn', () => unlearnCopy(model, run, batchSize));
      let masks: Map<string, Float32Array>;
      try {
        masks = await run.phase('score', () => recoverMasks(copy, run, batchSize));
      } finally {
        copy.dispose();
      }
      const threshold = run.options.number('threshold');
      const out = cloneModel(model);
      try {
        const pruned = await run.phase('prune', () => pruneChannels(out, masks, (v) => v <= threshold));
        return { model: out, chose: { unlearn: { epochs, stopReason }, ...pruned } };
      } catch (e) {
        out.dispose();
        throw e;
      }
    }),
};
