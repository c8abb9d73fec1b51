import * as tf from '@tensorflow/tfjs-core';

/**
 * Disposes a tfjs optimizer completely. tfjs 4.22's MomentumOptimizer.dispose() frees its momentum scalar and
 * accumulators but not the learning-rate scalar `c` that its SGD parent keeps (sgd_optimizer.js keeps it with
 * tf.keep; momentum_optimizer.js's dispose does not call super), so one tensor leaks per optimizer. We free it too.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: unknown }).c;
  if (c instanceof tf.Tensor && !c.isDisposed) c.dispose();
}
