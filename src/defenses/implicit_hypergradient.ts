import * as tf from '@tensorflow/tfjs-core';
import { directionalDerivative } from './finite_difference';

/** The inner problem of a bilevel minimax, as first-order gradients of its loss L_in(delta, theta) at the current theta. */
export interface InnerProblem {
  /** grad_delta L_in(delta, theta): a new tensor of delta's shape. */
  gradDelta(delta: tf.Tensor): tf.Tensor;
  /** grad_theta L_in(delta, theta): new tensors, one per outer variable, in the order of the outer gradients. */
  gradTheta(delta: tf.Tensor): tf.Tensor[];
}

/** How {@link fixedPointHypergradient} approximates the implicit term. */
export interface FixedPointArgs {
  /** K: fixed-point iterations (terms of the truncated Neumann series). */
  iterations: number;
  /** eta: step of the inner fixed-point map Phi(delta) = delta - eta * grad_delta L_in. */
  innerStep: number;
  /** h: finite-difference step for the second derivatives, in delta's units (see {@link directionalDerivative}). */
  fdStep: number;
}

/**
 * The hypergradient of an outer loss L_out(delta*(theta), theta) whose delta* is a fixed point of the map
 * Phi(delta, theta) = delta - eta * grad_delta L_in(delta, theta) (Grazzi et al., ICML 2020, "On the iteration
 * complexity of hypergradient computation", the fixed-point method i-BAU uses):
 *
 *   grad = grad_theta L_out + (d Phi / d theta)^T v,   v = (d Phi / d delta)^T v + grad_delta L_out,
 *
 * with v from K iterations started at 0 (v_K = sum_{k<K} (I - eta H)^k grad_delta L_out, a truncated Neumann
 * series). Here (d Phi / d delta)^T v = v - eta H v and (d Phi / d theta)^T v = -eta (d/d theta)(grad_delta L_in . v);
 * both second derivatives come from central finite differences of first-order gradients
 * ({@link directionalDerivative}). The first iteration needs none (v_1 = grad_delta L_out).
 *
 * @param outerGradDelta grad_delta L_out at delta (kept by the caller).
 * @param outerGradTheta grad_theta L_out at delta, one per outer variable (kept by the caller).
 * @returns new tensors, one per outer variable; the caller disposes them.
 */
export function fixedPointHypergradient(
  inner: InnerProblem,
  delta: tf.Tensor,
  outerGradDelta: tf.Tensor,
  outerGradTheta: readonly tf.Tensor[],
  args: FixedPointArgs,
): tf.Tensor[] {
  return tf.tidy(() => {
    let v: tf.Tensor = tf.clone(outerGradDelta);
    for (let k = 1; k < args.iterations; k++) {
      const [hv] = directionalDerivative((d) => [inner.gradDelta(d)], delta, v, args.fdStep) as [tf.Tensor];
      v = tf.add(tf.sub(v, tf.mul(hv, args.innerStep)), outerGradDelta);
    }
    const mixed = directionalDerivative((d) => inner.gradTheta(d), delta, v, args.fdStep);
    return outerGradTheta.map((g, i) => tf.sub(g, tf.mul(mixed[i] as tf.Tensor, args.innerStep)));
  });
}
