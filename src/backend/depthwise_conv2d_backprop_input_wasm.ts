import * as tf from '@tensorflow/tfjs-core';
import { registerIfMissing } from './register_if_missing';

import { kernelInputAsTensor, toPair } from './kernel_tensors';

/**
 * The input gradient of a depthwise 2-D convolution (NHWC), written only with ops the wasm backend has. Returns a
 * new tensor of `inputShape`.
 *
 * Why: tfjs-backend-wasm 4.22 registers no `DepthwiseConv2dNativeBackpropInput`, so a DepthwiseConv2D or
 * SeparableConv2D layer that is not the first layer stops training on wasm.
 *
 * Formulation: a depthwise convolution with filter W[kh, kw, c, m] is the ordinary convolution whose filter
 * F[kh, kw, c', c·M + m] = W[kh, kw, c, m] if c' = c, else 0 (block diagonal). Its input gradient is wasm's own
 * `Conv2DBackpropInput` (reached through `conv2dTranspose`) with F. F is C times larger than W and the transposed
 * convolution does C times the work, which is acceptable for the small depthwise layers this package trains.
 */
export function depthwiseConv2dBackpropInputViaConv(
  dyInfo: tf.TensorInfo,
  filterInfo: tf.TensorInfo,
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs,
): tf.Tensor4D {
  const [dh, dw] = toPair(attrs.dilations);
  if (dh !== 1 || dw !== 1) {
    throw new Error(`DepthwiseConv2dNativeBackpropInput (tfjs-tsbd wasm kernel) needs dilations 1; received ${dh}x${dw}`);
  }
  return tf.tidy(() => {
    const dy = kernelInputAsTensor(dyInfo) as tf.Tensor4D;
    const filter = kernelInputAsTensor(filterInfo) as tf.Tensor4D;
    const [kh, kw, c, m] = filter.shape;
    const eye = tf.reshape(tf.eye(c), [1, 1, c, c, 1]);
    const full = tf.reshape<tf.Rank.R4>(tf.mul(tf.reshape(filter, [kh, kw, 1, c, m]), eye), [kh, kw, c, c * m]);
    return tf.conv2dTranspose(dy, full, attrs.inputShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  });
}

/** Kernel config for `tf.registerKernel`. */
export const depthwiseConv2dBackpropInputWasmConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => {
    const dy = inputs['dy'];
    const filter = inputs['filter'];
    if (dy === undefined || filter === undefined) {
      throw new Error('DepthwiseConv2dNativeBackpropInput needs inputs dy and filter');
    }
    return depthwiseConv2dBackpropInputViaConv(dy, filter, attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs);
  },
};

/** Registers `DepthwiseConv2dNativeBackpropInput` for wasm unless one is registered already. Idempotent. */
export function registerDepthwiseConv2dBackpropInputWasm(): void {
  registerIfMissing(depthwiseConv2dBackpropInputWasmConfig);
}
