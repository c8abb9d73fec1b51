import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { kernelInputAsTensor, toPair } from './kernel_tensors';
import { nativeKernels, pointerOf } from './native_kernels';
import { registerIfMissing } from './register_if_missing';
import { im2colTransposed, subsamplePixels } from './strided_copy_wasm';

/** Largest kh·kw·ci for which the filter gradient goes through the patch matrix (see below). */
const SMALL_PATCH = 36;

/**
 * The filter gradient of a 2-D convolution, written only with ops the wasm backend has. Returns a new tensor.
 *
 * Why: tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel (tensorflow/tfjs#8474), and both the `Conv2D`
 * and the `FusedConv2D` gradients call that kernel directly, so training any conv net on wasm fails with
 * "Cannot find registered kernel". Overriding the `Conv2D` gradient would not cover `FusedConv2D`, which tfjs-layers
 * uses for every conv layer with a linear activation, so we register the missing kernel itself.
 *
 * Formulation. With `xp` the input padded by (top, left) = (pt, pl):
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} xp[n, oh·sh + kh, ow·sw + kw, ci] · dy[n, oh, ow, co].
 * Read with `ci` as the batch, `n` as the input channel and `dy` as a filter of size outH×outW dilated by the stride,
 * this is one forward convolution: conv2d(xᵀ[ci, h, w, n], dyᵀ[oh, ow, n, co], stride 1, dilation (sh, sw)),
 * whose output [ci, kh, kw, co] is transposed back. The padding is explicit: (pt, pl) before, and after whatever
 * makes the output exactly kh×kw (rows of x that no output reads are sliced away instead). The wasm Conv2D runs on
 * XNNPACK with SIMD. Measured at batch 64 (28x28x16 → 16, 3x3): 18 ms, against 166 ms for wasm's native
 * Conv3DBackpropFilterV2 on a depth-1 volume; an im2col + matMul from strided slices was about 3x slower than this.
 */
export function conv2dBackpropFilterViaConv(
  xInfo: tf.TensorInfo,
  dyInfo: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.Tensor4D {
  if (attrs.dataFormat === 'NCHW') {
    throw new Error("Conv2DBackpropFilter (tfjs-tsbd wasm kernel) supports dataFormat 'NHWC' only; received 'NCHW'");
  }
  // tfjs 4.22's Conv2DBackpropFilter has no dilations attribute (dilated conv2d gradients go through
  // SpaceToBatchND instead), but a caller or a later tfjs may pass one: refuse it rather than ignore it.
  const { dilations } = attrs as { dilations?: number | [number, number] };
  if (dilations !== undefined) {
    const [dh, dw] = toPair(dilations);
    if (dh !== 1 || dw !== 1) {
      throw new Error(`Conv2DBackpropFilter (tfjs-tsbd wasm kernel) needs dilations 1; received ${dh}x${dw}`);
    }
  }
  return tf.tidy(() => {
    const x = kernelInputAsTensor(xInfo) as tf.Tensor4D;
    const dy = kernelInputAsTensor(dyInfo) as tf.Tensor4D;
    const [kh, kw, ci, co] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const [sh, sw] = toPair(attrs.strides);
    const [, h, w, xc] = x.shape;
    const [, oh, ow, dyc] = dy.shape;
    if (xc !== ci || dyc !== co || oh !== info.outHeight || ow !== info.outWidth) {
      throw new Error(
        `Conv2DBackpropFilter: x ${JSON.stringify(x.shape)}, dy ${JSON.stringify(dy.shape)} and filterShape ` +
          `${JSON.stringify(attrs.filterShape)} disagree; expected dy [n, ${info.outHeight}, ${info.outWidth}, ${co}]`,
      );
    }
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    if (kh * kw * ci <= SMALL_PATCH && kh * kw > 1 && tf.getBackend() === 'wasm') {
      // Few input channels (a first layer on grey images): the patch matrix is small, and one matMul
      // [kh·kw·ci, n·oh·ow] x [n·oh·ow, co] beats a convolution whose "filter" is all of dy (measured on the
      // 28x28x1 -> 16 stems at batch 64: 1.8 ms against 6.4).
      const patches = im2colTransposed(x, kh, kw, oh, ow, { sh, sw, top: pt, left: pl });
      return tf.reshape(tf.matMul(patches, tf.reshape(dy, [-1, co])), [kh, kw, ci, co]);
    }
    if (kh === 1 && kw === 1 && (sh > 1 || sw > 1) && tf.getBackend() === 'wasm') {
      // A strided 1x1 convolution reads only every sh-th row and sw-th column: pick those pixels and take the
      // stride-1 filter gradient (the dilated form below would convolve with a mostly empty oh x ow filter).
      const picked = subsamplePixels(x, oh, ow, { sh, sw, top: pt, left: pl });
      return conv2dBackpropFilterViaConv(picked, dy, { ...attrs, strides: 1, pad: 'valid' });
    }
    // Last input row (column) + 1 that any output reads, in unpadded coordinates: kh + (oh - 1)·sh - pt.
    const needH = kh + (oh - 1) * sh - pt;
    const needW = kw + (ow - 1) * sw - pl;
    const xs: tf.Tensor4D =
      needH < h || needW < w ? tf.slice(x, [0, 0, 0, 0], [-1, Math.min(h, needH), Math.min(w, needW), -1]) : x;
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [pt, Math.max(0, needH - h)],
      [pl, Math.max(0, needW - w)],
      [0, 0],
    ];
    const xt = tf.transpose(xs, [3, 1, 2, 0]); // [ci, h, w, n]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, n, co]
    const g = tf.conv2d(xt, dyt, 1, pad, 'NHWC', [sh, sw]); // [ci, kh, kw, co]
    return tf.transpose(g, [1, 2, 0, 3]);
  });
}

/**
 * The filter gradient by our SIMD kernel (src/backend/native/kernels.c), straight from NHWC x and dy: no transposes
 * and no convolution with dy as its filter. Returns undefined, computing nothing, outside its case: float32 NHWC,
 * no dilation, output channels a multiple of 4, kernels loaded (see `nativeKernels`).
 *
 * Measured in a batch-64 small-cnn training step (2 cores, one used), against the formulation below: 5.5 ms
 * against 17.8 for 28x28x16 -> 16 (3x3), 2.9 against 7.3 for 14x14x16 -> 32, 1.9 against 4.1 for the strided
 * 14x14x32 -> 32, 0.7 against 4.7 for the 28x28x1 -> 16 stem (`tf.profile`, scratch script).
 */
function conv2dBackpropFilterNative(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
  backend: BackendWasm,
): tf.TensorInfo | undefined {
  const [kh, kw, ci, co] = attrs.filterShape;
  const { dilations } = attrs as { dilations?: number | [number, number] };
  const dilated = dilations !== undefined && toPair(dilations).some((d) => d !== 1);
  if (co % 4 !== 0 || attrs.dataFormat === 'NCHW' || dilated || x.dtype !== 'float32' || dy.dtype !== 'float32') {
    return undefined;
  }
  const kernels = nativeKernels(backend);
  if (kernels === undefined) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, h, w, xc] = x.shape as [number, number, number, number];
  const [dn, oh, ow, dyc] = dy.shape as [number, number, number, number];
  if (xc !== ci || dyc !== co || dn !== n || oh !== info.outHeight || ow !== info.outWidth) return undefined;
  const dw = backend.makeOutput([kh, kw, ci, co], 'float32');
  kernels.conv2d_filter_grad(
    pointerOf(backend, dw),
    pointerOf(backend, x),
    pointerOf(backend, dy),
    n, h, w, ci, oh, ow, co, kh, kw,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return dw;
}

/** Kernel config for `tf.registerKernel`. */
export const conv2dBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const x = inputs['x'];
    const dy = inputs['dy'];
    if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
    const typed = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    return (
      conv2dBackpropFilterNative(x, dy, typed, backend as BackendWasm) ?? conv2dBackpropFilterViaConv(x, dy, typed)
    );
  },
};

/**
 * Registers `Conv2DBackpropFilter` for the wasm backend unless a kernel of that name is already there (ours, or a
 * native one in a later tfjs release, which we then leave in place). Idempotent; does not load wasm itself.
 */
export function registerConv2dBackpropFilterWasm(): void {
  registerIfMissing(conv2dBackpropFilterWasmConfig);
}
