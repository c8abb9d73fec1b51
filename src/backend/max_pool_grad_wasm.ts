import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { nativeKernels, pointerOf } from './native_kernels';
import { allocate, heapView, replaceWasmKernel } from './wasm_heap';

/**
 * The MaxPool gradient, NHWC: each dy value goes to the first position (in row-major window order) that holds its
 * window's strict maximum, as the cpu backend picks it (ties, e.g. the zeros after a ReLU, go to the first); windows
 * that overlap add up. Positions outside the input (padding) are skipped; a window without a value greater than
 * -Infinity (all NaN) passes nothing. Exported for tests.
 */
export function maxPoolGradInto(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  dx: Float32Array,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      const r0 = Math.max(0, yr * sh - top);
      const r1 = Math.min(h, yr * sh - top + fh);
      for (let yc = 0; yc < ow; yc++) {
        const c0 = Math.max(0, yc * sw - left);
        const c1 = Math.min(w, yc * sw - left + fw);
        const dyBase = ((b * oh + yr) * ow + yc) * c;
        for (let d = 0; d < c; d++) {
          let best = Number.NEGATIVE_INFINITY;
          let where = -1;
          for (let r = r0; r < r1; r++) {
            for (let col = c0, p = ((b * h + r) * w + c0) * c + d; col < c1; col++, p += c) {
              const v = x[p] as number;
              if (v > best) {
                best = v;
                where = p;
              }
            }
          }
          if (where >= 0) dx[where] = (dx[where] as number) + (dy[dyBase + d] as number);
        }
      }
    }
  }
}

/**
 * Replaces wasm's `MaxPoolGrad` with our SIMD kernel, or `maxPoolGradInto` on the heap where that is unavailable (float32;
 * anything else runs wasm's own).
 * Idempotent; only the wasm backend is touched.
 *
 * Why: wasm's kernel took 12 ms for a 2x2 pool of [64, 28, 28, 16] in a small-cnn training step, more than the
 * input gradient of the convolution before it. Our SIMD kernel (`nativeKernels`) takes about 1 ms; this JS loop,
 * used where those kernels are off or unavailable, about 5.
 */
export function registerMaxPoolGradWasm(): void {
  replaceWasmKernel(tf.MaxPoolGrad, (original) => (args) => {
    const { dy, input } = args.inputs;
    if (dy === undefined || input === undefined) throw new Error('MaxPoolGrad needs inputs dy and input');
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return original.kernelFunc(args);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const backend = args.backend as BackendWasm;
    const dx = allocate(backend, input.shape, 'float32');
    const kernels = nativeKernels(backend);
    if (kernels !== undefined) {
      const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = info;
      kernels.max_pool_grad(
        pointerOf(backend, dx),
        pointerOf(backend, input),
        pointerOf(backend, dy),
        batchSize, inHeight, inWidth, inChannels, outHeight, outWidth,
        info.effectiveFilterHeight,
        info.effectiveFilterWidth,
        info.strideHeight,
        info.strideWidth,
        padInfo.top,
        padInfo.left,
      );
      return dx;
    }
    const view = (t: tf.TensorInfo): Float32Array => heapView(backend, t) as Float32Array;
    maxPoolGradInto(view(input), view(dy), info, view(dx));
    return dx;
  });
}
