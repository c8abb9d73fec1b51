import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { binaryRows } from './row_loops';
import { allocate, heapView } from './wasm_heap';

/** Our wasm-only kernel: all five FusedBatchNorm gradients in two passes. Not a tfjs kernel name. */
export const BATCH_NORM_GRAD_KERNEL = 'TsbdFusedBatchNormGrad';

/** The per-channel sums Σ dy and Σ dy·(x − mean[c]) over the rows of a row-major [rows, channels] layout. */
export function batchNormGradSums(
  x: Float32Array,
  dy: Float32Array,
  mean: Float32Array,
  channels: number,
): { sumDy: Float64Array; sumDyXc: Float64Array } {
  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels);
  const n = x.length;
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const m0 = mean[c] as number, m1 = mean[c + 1] as number, m2 = mean[c + 2] as number, m3 = mean[c + 3] as number;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let i = c; i < n; i += channels) {
      const d0 = dy[i] as number, d1 = dy[i + 1] as number, d2 = dy[i + 2] as number, d3 = dy[i + 3] as number;
      s0 += d0;
      s1 += d1;
      s2 += d2;
      s3 += d3;
      t0 += d0 * ((x[i] as number) - m0);
      t1 += d1 * ((x[i + 1] as number) - m1);
      t2 += d2 * ((x[i + 2] as number) - m2);
      t3 += d3 * ((x[i + 3] as number) - m3);
    }
    sumDy[c] = s0;
    sumDy[c + 1] = s1;
    sumDy[c + 2] = s2;
    sumDy[c + 3] = s3;
    sumDyXc[c] = t0;
    sumDyXc[c + 1] = t1;
    sumDyXc[c + 2] = t2;
    sumDyXc[c + 3] = t3;
  }
  for (; c < channels; c++) {
    const mc = mean[c] as number;
    let s = 0;
    let t = 0;
    for (let i = c; i < n; i += channels) {
      const d = dy[i] as number;
      s += d;
      t += d * ((x[i] as number) - mc);
    }
    sumDy[c] = s;
    sumDyXc[c] = t;
  }
  return { sumDy, sumDyXc };
}

/**
 * The gradients of y = (x − mean) · scale / sqrt(variance + ε) + offset with respect to x, mean, variance, scale and
 * offset, each mean/variance/scale/offset a per-channel vector of the last axis, exactly as tfjs-core's
 * `FusedBatchNorm_grad` defines them (mean and variance as independent inputs):
 *   dx = dy · s·r;  dmean = −s·r·Σdy;  dvariance = −½·s·r³·Σ dy·(x − mean);  dscale = r·Σ dy·(x − mean);  doffset = Σdy
 * with r = 1/sqrt(variance + ε), s = scale (1 when absent), sums over every axis but the last. One pass for the two
 * sums, one for dx, instead of about fourteen passes over x-sized tensors.
 */
function batchNormGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { x, dy, mean, variance } = args.inputs;
  const scale = args.inputs['scale'];
  if (x === undefined || dy === undefined || mean === undefined || variance === undefined) {
    throw new Error(`${BATCH_NORM_GRAD_KERNEL} needs inputs x, dy, mean and variance`);
  }
  const eps = (args.attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
  const backend = args.backend as BackendWasm;
  const channels = mean.shape[0] as number;
  const outs = [
    allocate(backend, x.shape, 'float32'),
    ...[0, 1, 2, 3].map(() => allocate(backend, [channels], 'float32')),
  ] as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const view = (t: tf.TensorInfo): Float32Array => heapView(backend, t) as Float32Array;
  const [dx, dMean, dVariance, dScale, dOffset] = outs.map(view) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const xv = view(x);
  const dyv = view(dy);
  const meanv = view(mean);
  const varv = view(variance);
  const scalev = scale === undefined ? undefined : view(scale);
  const { sumDy, sumDyXc } = batchNormGradSums(xv, dyv, meanv, channels);
  const factor = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const r = 1 / Math.sqrt((varv[c] as number) + eps);
    const s = scalev === undefined ? 1 : (scalev[c] as number);
    factor[c] = s * r;
    dMean[c] = -s * r * (sumDy[c] as number);
    dVariance[c] = -0.5 * s * r * r * r * (sumDyXc[c] as number);
    dScale[c] = r * (sumDyXc[c] as number);
    dOffset[c] = sumDy[c] as number;
  }
  binaryRows('mul', dyv, factor, false, dx);
  return outs;
}

/** Whether the fast gradient applies: float32 x and dy, per-channel vectors of the last axis for the rest. */
function fastCase(x: tf.Tensor, dy: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor | undefined): boolean {
  const c = x.shape[x.rank - 1];
  const perChannel = (t: tf.Tensor | undefined): boolean =>
    t === undefined || (t.dtype === 'float32' && t.rank === 1 && t.shape[0] === c);
  return (
    tf.getBackend() === 'wasm' &&
    x.rank >= 2 &&
    x.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    c !== undefined &&
    c > 0 &&
    [mean, variance, scale].every(perChannel)
  );
}

/** Gradient functions this package registered; recognises an earlier call. */
const OURS = new WeakSet<tf.GradFunc>();

/**
 * Overrides the `FusedBatchNorm` gradient so that, on the wasm backend only, it runs as one kernel of ours
 * (`TsbdFusedBatchNormGrad`, two passes over the data); on every other backend, and for cases it does not cover,
 * tfjs-core's own gradient runs unchanged. Gradients are global in tfjs, hence the check of the active backend.
 * Idempotent.
 *
 * Why: tfjs-core's gradient runs about fourteen ops over x-sized tensors per BatchNormalization layer (a Tile, three
 * full-size sums, broadcasting multiplies); on wasm, where each such op is a pass over memory, that made the
 * BatchNormalization backward pass the largest cost of a preact-resnet-s training step after the convolutions.
 * The tape never differentiates this kernel, so second-order gradients through BatchNormalization are not available
 * on wasm (tfjs-core's first-order gradient itself is not differentiated there either in practice).
 */
export function registerBatchNormGradWasm(): void {
  if (tf.getKernel(BATCH_NORM_GRAD_KERNEL, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: BATCH_NORM_GRAD_KERNEL, backendName: 'wasm', kernelFunc: batchNormGradKernel as tf.KernelFunc });
  }
  const original = tf.getGradient(tf.FusedBatchNorm);
  if (original === undefined || OURS.has(original.gradFunc)) return;
  const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
    const dyT = Array.isArray(dy) ? dy[0] : dy;
    const [x, mean, variance, scaleOrNull] = saved;
    const scale = scaleOrNull ?? undefined;
    if (dyT === undefined || x === undefined || mean === undefined || variance === undefined || !fastCase(x, dyT, mean, variance, scale)) {
      return original.gradFunc(dy, saved, attrs);
    }
    const inputs: tf.NamedTensorMap = { x, dy: dyT, mean, variance };
    if (scale !== undefined) inputs['scale'] = scale;
    // Computed now, not in the thunks: tfjs runs each thunk in its own tidy, which would dispose the other outputs.
    const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, attrs) as tf.Tensor[];
    return {
      x: () => dx as tf.Tensor,
      mean: () => dMean as tf.Tensor,
      variance: () => dVariance as tf.Tensor,
      scale: () => dScale as tf.Tensor,
      offset: () => dOffset as tf.Tensor,
    };
  };
  OURS.add(gradFunc);
  tf.unregisterGradient(tf.FusedBatchNorm);
  tf.registerGradient({ ...original, gradFunc });
}
