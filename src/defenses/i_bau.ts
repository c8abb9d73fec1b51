import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { toTensors } from '../data/tensors';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { Rng } from '../internal/rng';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import { cloneModel } from '../models/clone_model';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { fixedPointHypergradient } from './implicit_hypergradient';
import { trainableVariables } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'rounds', type: 'integer', default: 5, min: 1, doc: 'unlearning rounds: one perturbation search and one pass of outer steps each (i-BAU code: n_rounds 5)' },
  { name: 'iterations', type: 'integer', default: 5, min: 1, doc: 'fixed-point iterations K of the implicit hypergradient (i-BAU code: K 5)' },
  { name: 'lr', type: 'number', default: 0.001, min: 0, doc: 'Adam learning rate of the outer (model) steps (i-BAU code: Adam, 0.001)' },
  { name: 'batch-size', type: 'integer', default: 100, min: 1, doc: 'images per batch, inner and outer (i-BAU code: 100)' },
  { name: 'radius', type: 'number', default: 10, min: 0, doc: 'L2 bound of the universal perturbation, in units of the pixel range (i-BAU: C = 10 on [0, 1] images)' },
  { name: 'inner-lr', type: 'number', default: 10, min: 0, doc: 'SGD step of the perturbation search, one step per batch (i-BAU code: 10)' },
  { name: 'inner-step', type: 'number', default: 0.1, min: 0, doc: 'step eta of the fixed-point map delta - eta * grad L_in (i-BAU code: 0.1)' },
  { name: 'regularization', type: 'number', default: 0.001, min: 0, doc: 'weight of |delta|^2 in the inner loss (i-BAU code: 0.001)' },
  { name: 'portion', type: 'number', default: 0.01, min: 0, max: 1, doc: 'fraction of each outer batch that gets the perturbation, rounded down (i-BAU code: 0.01)' },
  { name: 'fd-step', type: 'number', default: 0.01, min: 1e-6, doc: 'finite-difference step of the second derivatives, L2, in units of the pixel range (ours; see finite_difference.ts)' },
];

/**
 * Projects `delta` onto the L2 ball of radius r: delta * min(1, r / |delta|) (|.| over all entries).
 * @returns a new tensor; the caller disposes it.
 */
export function projectL2Ball(delta: tf.Tensor, radius: number): tf.Tensor {
  return tf.tidy(() => tf.mul(delta, tf.minimum(1, tf.div(radius, tf.maximum(tf.norm(delta), 1e-30)))));
}

/**
 * i-BAU, implicit backdoor adversarial unlearning (Zeng, Chen, Park, Mao, Jin and Jia, ICLR 2022, "Adversarial
 * Unlearning of Backdoors via Implicit Hypergradient"): min over theta of the clean loss under the worst universal
 * perturbation delta*(theta) (one perturbation shared by all clean images, |delta| <= C), with the model step taking
 * the implicit hypergradient through delta*(theta) instead of treating delta as a constant.
 *
 * Each round, as the authors' code (github.com/YiZeng623/I-BAU, defense.py) does:
 * 1. Inner maximisation: delta starts at 0 and takes one SGD step (lr 10) per clean batch on
 *    -CE(f(x + delta), f(x)) + 0.001 |delta|^2 (the model's own predictions as labels), then is projected on the L2
 *    ball of radius C = 10 (the paper bounds |delta|; defense.py carries this projection, radius 10, as a
 *    commented-out line and leaves only the 0.001 |delta|^2 penalty, so we follow the paper).
 * 2. Outer minimisation: for each batch, L_out = CE(f(x + m delta), y) where m adds delta to floor(0.01 n) images
 *    drawn at random; its hypergradient is taken by the fixed-point method (K = 5) with the inner loss
 *    L_in = -CE(f(x_0 + delta), y_0) + 0.001 |delta|^2 on the first batch and the map delta - 0.1 grad L_in (as
 *    the code's hg.fixed_point with hg.GradientDescent(loss_inner, 0.1)); Adam (lr 0.001) applies it.
 * The model runs in inference mode throughout (the code calls model.eval()), so BatchNorm statistics do not move
 * and none are re-estimated. Clean batches are taken in a fixed order, as the code's unshuffled loader does.
 *
 * Departures: the second derivatives (Hessian-vector and mixed products) come from central finite differences of
 * first-order gradients with step h = 0.01 (see {@link directionalDerivative} for why and for the error), where the
 * code differentiates twice with autograd; the code's early exit at |v_k - v_{k-1}| < 1e-10 is dropped (it cannot
 * trigger at float32 precision); C and h scale with the width of the pixel range (C = 10 on [0, 1]); the
 * defender's clean set stands in for the code's 5,000 test images.
 */
export const iBau: Defense = {
  name: 'i-bau',
  summary: 'i-BAU (Zeng et al. 2022): adversarial unlearning of a universal perturbation with the implicit hypergradient',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('i-bau', OPTIONS, model, clean, options, context, async (run) => {
      const o = run.options;
      const width = run.range.max - run.range.min;
      const radius = o.number('radius') * width;
      const fdStep = o.number('fd-step') * width;
      const rounds = o.number('rounds');
      const batch = o.number('batch-size');
      const innerLr = o.number('inner-lr');
      const reg = o.number('regularization');
      const fixedPoint = { iterations: o.number('iterations'), innerStep: o.number('inner-step'), fdStep };
      const batches: Int32Array[] = [];
      for (let s = 0; s < clean.count; s += batch) batches.push(Int32Array.from({ length: Math.min(batch, clean.count - s) }, (_, k) => s + k));
      const out = cloneModel(model);
      const vars = trainableVariables(out);
      const adam = tf.train.adam(o.number('lr'));
      const rng = new Rng(run.seed + 17);
      const ce = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.mean(perExampleCrossEntropy(run.output, y, out.apply(x, { training: false }) as tf.Tensor));
      const first = toTensors(clean, run.range, batches[0]);
      // -CE(f(x + delta), y) + reg * |delta|^2: the loss the perturbation minimises.
      const adversarial = (x: tf.Tensor, y: tf.Tensor, delta: tf.Tensor): tf.Scalar => tf.add(tf.neg(ce(tf.add(x, delta), y)), tf.mul(reg, tf.sum(tf.square(delta))));
      const innerLoss = (delta: tf.Tensor): tf.Scalar => adversarial(first.x, first.y, delta);
      const inner = {
        gradDelta: (delta: tf.Tensor) => tf.grad(innerLoss)(delta),
        gradTheta: (delta: tf.Tensor) => {
          const { value, grads } = tf.variableGrads(() => innerLoss(delta), vars);
          value.dispose();
          return vars.map((v) => grads[v.name] as tf.Tensor);
        },
      };
      const norms: number[] = [];
      try {
        const epochAccs = await run.phase('unlearn', async () => {
          const accs: number[] = [];
          for (let round = 0; round < rounds; round++) {
            let delta: tf.Tensor = tf.zeros([1, clean.height, clean.width, clean.channels]);
            for (const idx of batches) {
              const { x, y } = toTensors(clean, run.range, idx);
              const next = tf.tidy(() => {
                const own = tf.oneHot(tf.argMax(out.predict(x) as tf.Tensor, -1), clean.numClasses);
                const g = tf.grad((d: tf.Tensor) => adversarial(x, own, d))(delta);
                return tf.sub(delta, tf.mul(g, innerLr));
              });
              tf.dispose([x, y, delta]);
              delta = next;
            }
            norms.push(tf.tidy(() => tf.norm(delta).dataSync()[0] as number));
            const projected = projectL2Ball(delta, radius);
            delta.dispose();
            const deltaVar = tf.variable(projected, true);
            projected.dispose();
            let lossSum = 0;
            try {
              for (const idx of batches) {
                const { x, y } = toTensors(clean, run.range, idx);
                const patched = Math.floor(idx.length * o.number('portion'));
                const mask = new Float32Array(idx.length);
                for (const i of rng.permutation(idx.length).subarray(0, patched)) mask[i] = 1;
                try {
                  const { value, grads } = tf.variableGrads(
                    () => ce(tf.add(x, tf.mul(tf.tensor4d(mask, [idx.length, 1, 1, 1]), deltaVar)), y),
                    [...vars, deltaVar],
                  );
                  lossSum += value.dataSync()[0] as number;
                  const outerTheta = vars.map((v) => grads[v.name] as tf.Tensor);
                  const hyper = patched === 0 ? outerTheta.map((g) => tf.clone(g)) : fixedPointHypergradient(inner, deltaVar, grads[deltaVar.name] as tf.Tensor, outerTheta, fixedPoint);
                  adam.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: hyper[i] as tf.Tensor })));
                  tf.dispose([value, ...Object.values(grads), ...hyper]);
                } finally {
                  tf.dispose([x, y]);
                }
              }
            } finally {
              deltaVar.dispose();
            }
            const acc = await run.cleanAcc(out);
            accs.push(acc);
            run.events?.emit('epochEnd', 'unlearn', round + 1, rounds, lossSum / batches.length, acc);
          }
          return accs;
        });
        return { model: out, chose: { epochAccs, perturbationNorms: norms, radius, batches: batches.length } };
      } catch (e) {
        out.dispose();
        throw e;
      } finally {
        tf.dispose([first.x, first.y]);
        disposeOptimizer(adam);
      }
    }),
};
