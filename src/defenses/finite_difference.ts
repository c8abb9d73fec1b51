import * as tf from '@tensorflow/tfjs-core';

/**
 * The derivative of a gradient map g along a direction d, J_g(a) d, by a central finite difference of two
 * first-order gradients: (g(a + h u) - g(a - h u)) * |d| / (2 h), with u = d / |d| (L2 norms over all entries).
 * With g = grad_a f this is the Hessian-vector product H d; with g = grad_theta f(a, theta) it is the mixed product
 * (d/d theta)(grad_a f . d).
 *
 * Why: tfjs registers no gradient for several kernels that a gradient of a convolution network runs (e.g.
 * Conv2DBackpropFilter, and this package's wasm training kernels), so the second derivatives that implicit
 * differentiation needs cannot come from nesting `tf.grad`; two first-order gradients can.
 *
 * Error, for a step h (in the units of `a`) along the unit direction: truncation (h^2 / 6) |D^3 g [u, u, u]| |d|,
 * plus rounding about eps * |g| * |d| / h, where eps is the relative error of one float32 gradient (about 1e-6 after
 * a network's sums). With h = 0.01 on inputs of scale 1 both stay near 1e-4 of |g| * |d|. A zero direction gives
 * exact zeros. The result is exact (up to rounding) when g is affine along d.
 *
 * @param gradAt the gradient map; it must return new tensors of fixed shapes for any point (they are disposed here).
 * @param step h > 0.
 * @returns new tensors, one per tensor `gradAt` returns; the caller disposes them.
 */
export function directionalDerivative(gradAt: (point: tf.Tensor) => tf.Tensor[], at: tf.Tensor, direction: tf.Tensor, step: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.norm(direction);
    const unit = tf.div(direction, tf.maximum(norm, 1e-30));
    const plus = gradAt(tf.add(at, tf.mul(unit, step)));
    const minus = gradAt(tf.sub(at, tf.mul(unit, step)));
    const scale = tf.div(norm, 2 * step);
    return plus.map((p, i) => tf.mul(tf.sub(p, minus[i] as tf.Tensor), scale));
  });
}
