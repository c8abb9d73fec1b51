import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { perExampleCrossEntropy, type OutputKind } from '../losses/cross_entropy';

/** Per image (1 = yes): fooled by the purified model, fooled by the suspect model, and shared (both, same label). */
export interface SharedMasks {
  readonly fooled: Float32Array;
  readonly fooledRef: Float32Array;
  readonly shared: Float32Array;
}

/**
 * Which perturbed images are adversarial (SAU, Wei et al. 2023): image i is fooled when a model's label on the
 * perturbed image differs from its label on the clean one, and shared when both models are fooled into the same label.
 * All arrays are labels per image, of one length.
 */
export function sharedAdversarial(pert: ArrayLike<number>, clean: ArrayLike<number>, pertRef: ArrayLike<number>, cleanRef: ArrayLike<number>): SharedMasks {
  const n = pert.length;
  const fooled = new Float32Array(n);
  const fooledRef = new Float32Array(n);
  const shared = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    fooled[i] = pert[i] !== clean[i] ? 1 : 0;
    fooledRef[i] = pertRef[i] !== cleanRef[i] ? 1 : 0;
    shared[i] = fooled[i] === 1 && fooledRef[i] === 1 && pert[i] === pertRef[i] ? 1 : 0;
  }
  return { fooled, fooledRef, shared };
}

/**
 * The images SAU's unlearning loss covers (its code's `potential_poison`): the suspect model's label on the
 * perturbed image is neither the true label nor its own label on the clean image (1 = covered).
 */
export function suspectFooled(pertRef: ArrayLike<number>, cleanRef: ArrayLike<number>, labels: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: pertRef.length }, (_, i) => (pertRef[i] !== labels[i] && pertRef[i] !== cleanRef[i] ? 1 : 0));
}

/** Class probabilities from a model's output: softmax of logits, or probabilities renormalised to sum 1. New tensor. */
export function probabilities(output: OutputKind, pred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => (output === 'logits' ? tf.softmax(pred, -1) : tf.div(pred, tf.sum(pred, -1, true))));
}

/**
 * Jensen-Shannon divergence per row of two probability matrices [n, classes] (natural log), with both clamped at
 * 1e-8 as SAU's code does: 0.5 sum(p log p + q log q) - 0.5 sum((p + q) log m), m = (p + q) / 2. New tensor [n].
 */
export function jsDivergence(p: tf.Tensor, q: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pc = tf.maximum(p, 1e-8);
    const qc = tf.maximum(q, 1e-8);
    const logM = tf.log(tf.mul(tf.add(pc, qc), 0.5));
    const self = tf.add(tf.mul(pc, tf.log(pc)), tf.mul(qc, tf.log(qc)));
    return tf.sum(tf.mul(tf.sub(self, tf.mul(tf.add(pc, qc), logM)), 0.5), -1);
  });
}

/**
 * SAU's shared-adversarial unlearning term: for each covered image (`mask` 1), -log(1 - p), where p is the
 * purified model's probability of the label `targets` (one-hot, the suspect model's label on the perturbed image);
 * summed and divided by the batch size n. As SAU's code, the two equal forms -log(1e-6 + min(1 - p, 0.999)) and
 * -log(1 + 1e-6 - max(p, 0.001)) are averaged for numerical safety. A new scalar.
 */
export function sharedUnlearningLoss(probs: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.sum(tf.mul(probs, targets), -1);
    const neg = tf.sum(tf.mul(probs, tf.sub(1, targets)), -1);
    const a = tf.neg(tf.log(tf.add(tf.minimum(neg, 0.999), 1e-6)));
    const b = tf.neg(tf.log(tf.sub(1 + 1e-6, tf.maximum(pos, 0.001))));
    return tf.div(tf.sum(tf.mul(mask, tf.mul(tf.add(a, b), 0.5))), probs.shape[0] as number) as tf.Scalar;
  });
}

/** How {@link sharedPgd} searches. */
export interface SharedPgdArgs {
  /** L-infinity bound of each image's perturbation, in model-input units. */
  eps: number;
  /** Signed-gradient step, in model-input units. */
  stepSize: number;
  steps: number;
  /** Weight of the adversarial term (pushes each model's prediction off the true label). */
  beta1: number;
  /** Weight of the sharing term (the JS divergence between the two models on images not yet shared). */
  beta2: number;
}

/** Labels (argmax) of a model on x, read to the CPU. */
function labelsOf(model: tfl.LayersModel, x: tf.Tensor): Int32Array {
  return tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync() as Int32Array);
}

/**
 * Shared adversarial examples for the purified `model` and the frozen suspect `ref` (SAU's Shared_PGD): per image,
 * a perturbation in the L-infinity ball of radius eps, started at +eps everywhere (the code's 'max' init), that takes
 * `steps` signed-gradient steps down beta1 * L_adv + beta2 * L_share and is clipped back to the ball after each;
 * it stops early once every image is a shared adversarial example. L_adv = -(sum over images a model is not fooled
 * on of its cross-entropy with the true label, both models) / 2n; L_share = sum over images not yet shared of
 * JS(p_model, p_ref) / n. Fooled and shared (see {@link sharedAdversarial}) are read from the same forward pass and
 * act as constants. Both models run in inference mode and neither is changed. The perturbed images are not clipped
 * to the pixel range (as the code).
 * @param y one-hot true labels.
 * @returns the perturbation (new tensor, x's shape; the caller disposes it) and the suspect's labels on x.
 */
export function sharedPgd(
  model: tfl.LayersModel,
  ref: tfl.LayersModel,
  output: OutputKind,
  x: tf.Tensor,
  y: tf.Tensor,
  args: SharedPgdArgs,
): { delta: tf.Tensor; cleanRef: Int32Array } {
  const clean = labelsOf(model, x);
  const cleanRef = labelsOf(ref, x);
  const n = x.shape[0] as number;
  let delta = tf.fill(x.shape, args.eps);
  for (let step = 0; step < args.steps; step++) {
    let allShared = false;
    const next = tf.tidy(() => {
      const g = tf.grad((d: tf.Tensor) => {
        const xp = tf.add(x, d);
        const pred = model.apply(xp, { training: false }) as tf.Tensor;
        const predRef = ref.apply(xp, { training: false }) as tf.Tensor;
        const m = sharedAdversarial(tf.argMax(pred, -1).dataSync(), clean, tf.argMax(predRef, -1).dataSync(), cleanRef);
        allShared = m.shared.every((s) => s === 1);
        const held = tf.add(
          tf.sum(tf.mul(tf.sub(1, tf.tensor1d(m.fooled)), perExampleCrossEntropy(output, y, pred))),
          tf.sum(tf.mul(tf.sub(1, tf.tensor1d(m.fooledRef)), perExampleCrossEntropy(output, y, predRef))),
        );
        const adv = tf.div(tf.neg(held), 2 * n);
        const share = tf.div(tf.sum(tf.mul(tf.sub(1, tf.tensor1d(m.shared)), jsDivergence(probabilities(output, pred), probabilities(output, predRef)))), n);
        return tf.add(tf.mul(adv, args.beta1), tf.mul(share, args.beta2)) as tf.Scalar;
      })(delta);
      return tf.clipByValue(tf.sub(delta, tf.mul(tf.sign(g), args.stepSize)), -args.eps, args.eps);
    });
    delta.dispose();
    delta = next;
    if (allShared) break;
  }
  return { delta, cleanRef };
}
