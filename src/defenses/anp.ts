import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { toTensors } from '../data/tensors';
import { Rng } from '../internal/rng';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import { cloneModel } from '../models/clone_model';
import { batchNorms, pruneChannels, requireBatchNorm } from './batch_norm_channels';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'eps', type: 'number', default: 0.4, min: 0, doc: 'bound of the adversarial neuron perturbation (ANP: 0.4)' },
  { name: 'alpha', type: 'number', default: 0.2, min: 0, max: 1, doc: 'weight of the natural loss against the perturbed one (ANP: 0.2)' },
  { name: 'mask-lr', type: 'number', default: 0.2, min: 0, doc: 'SGD learning rate of the masks (ANP: 0.2, momentum 0.9)' },
  { name: 'iterations', type: 'integer', default: 2000, min: 1, doc: 'mask optimisation steps (ANP: 2000)' },
  { name: 'batch-size', type: 'integer', default: 128, min: 1, doc: 'images per step (ANP: 128)' },
  { name: 'threshold', type: 'number', default: 0.2, min: 0, max: 1, doc: 'channels whose mask ends below this are pruned (ANP: 0.2)' },
];

/** Per BatchNorm layer: its live gamma and beta, their original values, the mask m and the perturbations delta, xi. */
interface NoisyBn {
  name: string;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  gamma0: tf.Tensor;
  beta0: tf.Tensor;
  mask: tf.Variable;
  velocity: tf.Variable;
  delta: tf.Variable;
  xi: tf.Variable;
}

/**
 * ANP, Adversarial Neuron Pruning (Wu and Wang, NeurIPS 2021): backdoor neurons are the ones whose small
 * perturbation flips many clean predictions. ANP learns a mask m in [0, 1] per neuron that keeps clean accuracy
 * under the worst multiplicative perturbation of each neuron within eps, then prunes the neurons whose mask is low.
 *
 * Each step (on a copy of the model), with the BatchNorm channel as the neuron, as in ANP's code: gamma = (m + delta)
 * * gamma0 and beta = (1 + xi) * beta0; delta and xi are drawn uniformly in [-eps, eps], take one gradient-ascent
 * step of size eps on the clean loss and are clipped to [-eps, eps]; then m takes one momentum-SGD step on
 * alpha * L(m) + (1 - alpha) * L(m + delta, xi) and is clipped to [0, 1]. Gradients with respect to m, delta and xi
 * come from those with respect to gamma and beta (dL/dm = dL/dgamma * gamma0, dL/dxi = dL/dbeta * beta0).
 *
 * Choices: ANP's defaults (eps 0.4, alpha 0.2, mask lr 0.2 with momentum 0.9, 2000 iterations of batch 128,
 * pruning by the threshold 0.2); pruning zeroes the channel's gamma and beta in a copy of the original model. Needs
 * BatchNorm (a ModelError otherwise). No fine-tuning after.
 */
export const anp: Defense = {
  name: 'anp',
  summary: 'ANP (Wu & Wang 2021): learn BatchNorm channel masks robust to adversarial neuron perturbation, prune low masks',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('anp', OPTIONS, model, clean, options, context, async (run) => {
      requireBatchNorm(model, 'ANP', 'perturbs');
      const o = run.options;
      const eps = o.number('eps');
      const alpha = o.number('alpha');
      const lr = o.number('mask-lr');
      const copy = cloneModel(model);
      const bns: NoisyBn[] = batchNorms(copy).map((b) => ({
        name: b.layer.name,
        gamma: b.gamma,
        beta: b.beta,
        gamma0: tf.clone(b.gamma.read()),
        beta0: tf.clone(b.beta.read()),
        // tidy frees the tensors the variables are made from (variables are not tidied).
        mask: tf.tidy(() => tf.variable(tf.onesLike(b.gamma.read()))),
        velocity: tf.tidy(() => tf.variable(tf.zerosLike(b.gamma.read()))),
        delta: tf.tidy(() => tf.variable(tf.zerosLike(b.gamma.read()))),
        xi: tf.tidy(() => tf.variable(tf.zerosLike(b.gamma.read()))),
      }));
      const rng = new Rng(run.seed + 13);
      const set = (noisy: boolean): void =>
        tf.tidy(() => {
          for (const b of bns) {
            b.gamma.write(tf.mul(noisy ? tf.add(b.mask, b.delta) : b.mask, b.gamma0));
            b.beta.write(noisy ? tf.mul(tf.add(1, b.xi), b.beta0) : b.beta0);
          }
        });
      const grads = (x: tf.Tensor, y: tf.Tensor): { gamma: tf.Tensor[]; beta: tf.Tensor[] } => {
        const vars = bns.flatMap((b) => [b.gamma.read() as tf.Variable, b.beta.read() as tf.Variable]);
        const { value, grads: g } = tf.variableGrads(
          () => tf.mean(perExampleCrossEntropy(run.output, y, copy.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          vars,
        );
        value.dispose();
        return { gamma: bns.map((b) => g[(b.gamma.read() as tf.Variable).name] as tf.Tensor), beta: bns.map((b) => g[(b.beta.read() as tf.Variable).name] as tf.Tensor) };
      };
      try {
        const masks = await run.phase('score', async () => {
          let order = rng.permutation(clean.count);
          let at = 0;
          const batch = o.number('batch-size');
          for (let it = 0; it < o.number('iterations'); it++) {
            if (at + Math.min(batch, clean.count) > order.length) {
              order = rng.permutation(clean.count);
              at = 0;
            }
            const idx = order.subarray(at, at + batch);
            at += idx.length;
            const { x, y } = toTensors(clean, run.range, idx);
            try {
              tf.tidy(() => {
                // Perturbation: random start in [-eps, eps], one ascent step of size eps, clipped.
                for (const b of bns) {
                  b.delta.assign(tf.randomUniform(b.delta.shape, -eps, eps, 'float32', rng.int(2 ** 31)));
                  b.xi.assign(tf.randomUniform(b.xi.shape, -eps, eps, 'float32', rng.int(2 ** 31)));
                }
                set(true);
                const up = grads(x, y);
                bns.forEach((b, i) => {
                  b.delta.assign(tf.clipByValue(tf.add(b.delta, tf.mul(eps, tf.mul(up.gamma[i] as tf.Tensor, b.gamma0))), -eps, eps));
                  b.xi.assign(tf.clipByValue(tf.add(b.xi, tf.mul(eps, tf.mul(up.beta[i] as tf.Tensor, b.beta0))), -eps, eps));
                });
                // Mask step on alpha * natural + (1 - alpha) * perturbed loss.
                set(false);
                const natural = grads(x, y);
                set(true);
                const perturbed = grads(x, y);
                bns.forEach((b, i) => {
                  const g = tf.mul(tf.add(tf.mul(alpha, natural.gamma[i] as tf.Tensor), tf.mul(1 - alpha, perturbed.gamma[i] as tf.Tensor)), b.gamma0);
                  b.velocity.assign(tf.add(tf.mul(b.velocity, 0.9), g));
                  b.mask.assign(tf.clipByValue(tf.sub(b.mask, tf.mul(lr, b.velocity)), 0, 1));
                });
              });
            } finally {
              tf.dispose([x, y]);
            }
          }
          return new Map(bns.map((b) => [b.name, Float32Array.from(b.mask.dataSync())]));
        });
        const threshold = o.number('threshold');
        const out = cloneModel(model);
        try {
          const chose = await run.phase('prune', () => pruneChannels(out, masks, (v) => v < threshold));
          return { model: out, chose: { ...chose } };
        } catch (e) {
          out.dispose();
          throw e;
        }
      } finally {
        for (const b of bns) tf.dispose([b.gamma0, b.beta0, b.mask, b.velocity, b.delta, b.xi]);
        copy.dispose();
      }
    }),
};
