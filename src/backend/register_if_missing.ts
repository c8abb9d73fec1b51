import * as tf from '@tensorflow/tfjs-core';

/**
 * Registers `config` unless a kernel of that name is already registered for its backend (ours from an earlier call,
 * or a native one in a later tfjs release, which we then leave in place). Idempotent, and never makes tfjs warn.
 */
export function registerIfMissing(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) return;
  tf.registerKernel(config);
}
