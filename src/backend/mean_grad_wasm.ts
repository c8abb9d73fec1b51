import * as tf from '@tensorflow/tfjs-core';

/** Gradient functions this package registered; recognises an earlier call. */
const OURS = new WeakSet<tf.GradFunc>();

/**
 * Overrides the `Mean` gradient so that, on the wasm backend only, dx = broadcast(dy / N) to x's shape: one
 * division on the small dy and one broadcast (the Tile kernel, a block copy on wasm with `registerTileWasm`). On every
 * other backend, and for non-float32 inputs, tfjs-core's own gradient runs unchanged (gradients are global in tfjs,
 * hence the check of the active backend). Idempotent.
 *
 * Why: tfjs-core computes dx = (dy · ones(x.shape)) / N, three passes over an x-sized tensor (fill, multiply,
 * divide); tf.moments, which BatchNormalization layers call twice per forward pass, makes that six per layer.
 * Numerically: tfjs divides each dy·1 by N; we divide dy by N once and copy, the same float32 values.
 */
export function registerMeanGradWasm(): void {
  const original = tf.getGradient(tf.Mean);
  if (original === undefined || OURS.has(original.gradFunc)) return;
  const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
    const dyT = Array.isArray(dy) ? dy[0] : dy;
    const x = saved[0];
    if (tf.getBackend() !== 'wasm' || dyT === undefined || x === undefined || dyT.dtype !== 'float32' || x.dtype !== 'float32') {
      return original.gradFunc(dy, saved, attrs);
    }
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduceSize = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dyT, expanded), reduceSize), x.shape) };
  };
  OURS.add(gradFunc);
  tf.unregisterGradient(tf.Mean);
  tf.registerGradient({ ...original, gradFunc });
}
