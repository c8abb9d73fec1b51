import * as tf from '@tensorflow/tfjs-core';
import { registerIfMissing } from './register_if_missing';

import { kernelInputAsTensor, toPair } from './kernel_tensors';

/**
 * The filter gradient of a depthwise 2-D convolution (NHWC), written only with ops the wasm backend has. Returns a
 * new tensor of `filterShape` [kh, kw, c, m].
 *
 * Why: tfjs-backend-wasm 4.22 registers no `DepthwiseConv2dNativeBackpropFilter`, so a model with DepthwiseConv2D
 * or SeparableConv2D layers cannot train on wasm.
 *
 * Formulation: dW[kh, kw, c, m] = Σ_n Σ_{oh, ow} xp[n, oh·sh + kh, ow·sw + kw, c] · dy[n, oh, ow, c·M + m].
 * Put (c, n) on the channel axis of a single image, xᵀ[1, h, w, c·N], and use dy as a depthwise filter
 * dyᵀ[oh, ow, c·N, m] dilated by the stride: one depthwise convolution gives [1, kh, kw, c·N·m], and summing over
 * n leaves dW. Padding is explicit, as in `conv2dBackpropFilterViaConv`.
 */
export function depthwiseConv2dBackpropFilterViaConv(
  xInfo: tf.TensorInfo,
  dyInfo: tf.TensorInfo,
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.Tensor4D {
  const [dh, dw] = toPair(attrs.dilations);
  if (dh !== 1 || dw !== 1) {
    throw new Error(`DepthwiseConv2dNativeBackpropFilter (tfjs-tsbd wasm kernel) needs dilations 1; received ${dh}x${dw}`);
  }
  return tf.tidy(() => {
    const x = kernelInputAsTensor(xInfo) as tf.Tensor4D;
    const dy = kernelInputAsTensor(dyInfo) as tf.Tensor4D;
    const [kh, kw, c, m] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      true,
    );
    const [sh, sw] = toPair(attrs.strides);
    const [n, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    const needH = kh + (oh - 1) * sh - info.padInfo.top;
    const needW = kw + (ow - 1) * sw - info.padInfo.left;
    const xs: tf.Tensor4D =
      needH < h || needW < w ? tf.slice(x, [0, 0, 0, 0], [-1, Math.min(h, needH), Math.min(w, needW), -1]) : x;
    const hs = xs.shape[1];
    const ws = xs.shape[2];
    // [n, h, w, c] → [1, h, w, c·n] with channel index c·N + n.
    const xt = tf.reshape<tf.Rank.R4>(tf.transpose(xs, [1, 2, 3, 0]), [1, hs, ws, c * n]);
    // [n, oh, ow, c·m] → [oh, ow, c·n, m] with channel index c·N + n.
    const dyt = tf.reshape<tf.Rank.R4>(tf.transpose(tf.reshape(dy, [n, oh, ow, c, m]), [1, 2, 3, 0, 4]), [oh, ow, c * n, m]);
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [info.padInfo.top, Math.max(0, needH - h)],
      [info.padInfo.left, Math.max(0, needW - w)],
      [0, 0],
    ];
    const g = tf.depthwiseConv2d(xt, dyt, 1, pad, 'NHWC', [sh, sw]); // [1, kh, kw, c·n·m]
    return tf.sum(tf.reshape(g, [kh, kw, c, n, m]), 3) as tf.Tensor4D;
  });
}

/** Kernel config for `tf.registerKernel`. */
export const depthwiseConv2dBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => {
    const x = inputs['x'];
    const dy = inputs['dy'];
    if (x === undefined || dy === undefined) throw new Error('DepthwiseConv2dNativeBackpropFilter needs inputs x and dy');
    return depthwiseConv2dBackpropFilterViaConv(x, dy, attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs);
  },
};

/** Registers `DepthwiseConv2dNativeBackpropFilter` for wasm unless one is registered already. Idempotent. */
export function registerDepthwiseConv2dBackpropFilterWasm(): void {
  registerIfMissing(depthwiseConv2dBackpropFilterWasmConfig);
}
