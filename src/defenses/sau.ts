import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import { cloneModel } from '../models/clone_model';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { autoBatchSize } from './finetune_clean';
import { probabilities, sharedPgd, sharedUnlearningLoss, suspectFooled } from './shared_adversarial';
import { trainableVariables, trainLoop } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'rounds', type: 'integer', default: 20, min: 1, doc: "passes over the clean set (TSBD's stage-2 budget; SAU's code runs 100)" },
  { name: 'lr', type: 'number', default: 0.0001, min: 0, doc: 'Adam learning rate (SAU code: 1e-4)' },
  { name: 'batch-size', type: 'integer', default: 0, min: 0, doc: 'images per step; 0 = 256, or less so that a round has 10 steps (as purify)' },
  { name: 'eps', type: 'number', default: 0.2, min: 0, doc: 'L-infinity bound of the perturbation, in units of the pixel range (SAU code: 0.2)' },
  { name: 'pgd-steps', type: 'integer', default: 5, min: 1, doc: 'PGD steps per batch (SAU code: 5)' },
  { name: 'pgd-lr', type: 'number', default: 0.2, min: 0, doc: 'PGD signed step, in units of the pixel range (SAU code: 0.2)' },
  { name: 'beta1', type: 'number', default: 0.01, min: 0, doc: 'PGD: weight of the adversarial term (SAU code: 0.01)' },
  { name: 'beta2', type: 'number', default: 1, min: 0, doc: 'PGD: weight of the sharing (JS divergence) term (SAU code: 1)' },
  { name: 'lambda1', type: 'number', default: 1, min: 0, doc: 'unlearning: weight of the clean loss (SAU code: 1)' },
  { name: 'lambda2', type: 'number', default: 0, min: 0, doc: 'unlearning: weight of adversarial training on the perturbed images (SAU code: 0)' },
  { name: 'lambda3', type: 'number', default: 1, min: 0, doc: 'unlearning: weight of the shared-adversarial loss (SAU code: 1)' },
];

/**
 * SAU, Shared Adversarial Unlearning (Wei, Zhang, Zha and Wu, NeurIPS 2023, "Shared Adversarial Unlearning:
 * Backdoor Mitigation by Unlearning Shared Adversarial Examples"): adversarial examples on which the suspect model
 * and the model being purified agree on a wrong label bound the backdoor risk; SAU finds them by PGD on clean images
 * and trains the purified model to stop giving the suspect's wrong label on them, while keeping clean accuracy.
 *
 * Each step, on a batch of clean images (x, y), as the authors' code (BackdoorBench, defense/sau.py) does:
 * 1. {@link sharedPgd} against the purified model and the frozen suspect: L-infinity eps = 0.2, 5 signed steps of
 *    0.2 from the 'max' start, beta1 = 0.01 (adversarial term), beta2 = 1 (sharing term).
 * 2. One Adam step (lr 1e-4) on lambda1 CE(f(x), y) + lambda2 CE(f(x~), y) + lambda3 L_sar with lambda = (1, 0, 1),
 *    where L_sar = sum over images the suspect is fooled on (its label on x~ is neither y nor its label on x) of
 *    -log(1 - p_f(suspect's label | x~)), over the batch size ({@link sharedUnlearningLoss}).
 * Both models run in inference mode (the code's default, train_mode off), so BatchNorm statistics do not move and
 * none are re-estimated; the perturbed images are not clipped to the pixel range (as the code).
 *
 * Departures: 20 rounds (TSBD's stage-2 budget, the same for every fine-tuning baseline here) where the code runs
 * 100 (a round costs about 12 fine-tuning epochs of compute on CPU); batches of 256 or fewer so that a round has 10
 * steps (the code's 256 on 5% of CIFAR-10 also gives 10), shuffled per round; constant learning rate (the code
 * builds a cosine schedule but never steps it); eps and the PGD step scale with the width of the pixel range
 * (0.2 on [0, 1]); the frozen suspect is the input model itself, used read-only.
 */
export const sau: Defense = {
  name: 'sau',
  summary: 'SAU (Wei et al. 2023): unlearn shared adversarial examples of the suspect and the purified model',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('sau', OPTIONS, model, clean, options, context, async (run) => {
      const o = run.options;
      const width = run.range.max - run.range.min;
      const pgd = {
        eps: o.number('eps') * width,
        stepSize: o.number('pgd-lr') * width,
        steps: o.number('pgd-steps'),
        beta1: o.number('beta1'),
        beta2: o.number('beta2'),
      };
      const [l1, l2, l3] = [o.number('lambda1'), o.number('lambda2'), o.number('lambda3')];
      const batchSize = autoBatchSize(o.number('batch-size'), clean.count);
      const out = cloneModel(model);
      const vars = trainableVariables(out);
      const adam = tf.train.adam(o.number('lr'));
      let covered = 0;
      let seen = 0;
      try {
        const epochAccs = await run.phase('unlearn', () =>
          trainLoop(out, run, { phase: 'unlearn', epochs: o.number('rounds'), batchSize, seedOffset: 1 }, (x, y) => {
            const { delta, cleanRef } = sharedPgd(out, model, run.output, x, y, pgd);
            try {
              return tf.tidy(() => {
                const xp = tf.add(x, delta);
                const pertRef = tf.argMax(model.predict(xp) as tf.Tensor, -1);
                const mask = suspectFooled(pertRef.dataSync(), cleanRef, tf.argMax(y, -1).dataSync());
                covered += mask.reduce((s, v) => s + v, 0);
                seen += mask.length;
                const maskT = tf.tensor1d(mask);
                const targets = tf.oneHot(pertRef, clean.numClasses);
                const n = x.shape[0] as number;
                const cost = adam.minimize(
                  () => {
                    const both = out.apply(tf.concat([x, xp]), { training: false }) as tf.Tensor;
                    const [p, pp] = tf.split(both, [n, n]) as [tf.Tensor, tf.Tensor];
                    const cl = tf.mean(perExampleCrossEntropy(run.output, y, p));
                    const at = tf.mean(perExampleCrossEntropy(run.output, y, pp));
                    const sar = sharedUnlearningLoss(probabilities(run.output, pp), targets, maskT);
                    return tf.addN([tf.mul(cl, l1), tf.mul(at, l2), tf.mul(sar, l3)]) as tf.Scalar;
                  },
                  true,
                  vars,
                );
                return cost?.dataSync()[0] ?? Number.NaN;
              });
            } finally {
              delta.dispose();
            }
          }),
        );
        return { model: out, chose: { batchSize, epochAccs, suspectFooledFraction: seen === 0 ? 0 : covered / seen } };
      } catch (e) {
        out.dispose();
        throw e;
      } finally {
        disposeOptimizer(adam);
      }
    }),
};
