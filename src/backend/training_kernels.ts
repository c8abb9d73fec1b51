import * as tf from '@tensorflow/tfjs-core';

import { registerBatchMatMulWasm } from './batch_mat_mul_wasm';
import { registerBatchNormGradWasm } from './batch_norm_grad_wasm';
import { registerBatchNormWasm } from './batch_norm_wasm';
import { registerBinaryWasm } from './binary_wasm';
import { registerConv2dBackpropFilterWasm } from './conv2d_backprop_filter_wasm';
import { registerConv2dBackpropInputWasm } from './conv2d_backprop_input_wasm';
import { registerDepthToSpaceWasm } from './depth_to_space_wasm';
import { registerDepthwiseConv2dBackpropFilterWasm } from './depthwise_conv2d_backprop_filter_wasm';
import { registerDepthwiseConv2dBackpropInputWasm } from './depthwise_conv2d_backprop_input_wasm';
import { registerIdentityWasm } from './identity_wasm';
import { registerMaxPoolGradWasm } from './max_pool_grad_wasm';
import { registerMeanGradWasm } from './mean_grad_wasm';
import { registerReduceWasm } from './reduce_wasm';
import { registerTileWasm } from './tile_wasm';

/**
 * Makes the `wasm` backend train conv nets, and train them fast. Call it after loading
 * @tensorflow/tfjs-backend-wasm; `selectBackend` calls it for you. Idempotent. Other backends are not touched: the
 * kernels are registered for 'wasm' only, and the two gradient overrides run tfjs-core's own gradient unless the
 * active backend is wasm, so tfjs-node's and cpu's computations stay exactly as they were.
 *
 * 1. Missing kernels (tfjs-backend-wasm 4.22 lacks them; training fails without): Conv2DBackpropFilter (every
 *    Conv2D / FusedConv2D layer, tensorflow/tfjs#8474), DepthwiseConv2dNativeBackpropFilter and -Input.
 *    A kernel that a later tfjs registers natively is left in place.
 * 2. Faster versions of wasm kernels, each falling back to wasm's own outside the case it speeds up; measured in a
 *    batch-64 preact-resnet-s step (see README "Performance"):
 *    - Conv2DBackpropFilter (output channels a multiple of 4) and MaxPoolGrad: our own WebAssembly SIMD kernels
 *      (src/backend/native/kernels.c, see `nativeKernels`), working on the tensors in place in wasm's memory;
 *      elsewhere, or with the flag `TSBD_WASM_KERNELS` off, formulations from tfjs ops and JS;
 *    - Conv2DBackpropInput: XNNPACK convolutions instead of a plain loop; strided ones by output phases;
 *    - Tile: block copies (the BatchNormalization gradient tiled at 35 ms a call);
 *    - BatchMatMul with a transposed operand: transpose first, then wasm's fast untransposed path;
 *    - Identity and same-dtype Cast: share the buffer (reference counted) instead of copying it, as cpu does;
 *    - Sum and Mean over leading axes, FusedBatchNorm, Add/Sub/Multiply/RealDiv with a per-channel or scalar
 *      operand, DepthToSpace: one pass over the heap in JS instead of transposes or per-value index arithmetic.
 * 3. Gradient overrides, active on wasm only: FusedBatchNorm (one kernel of ours, two passes, instead of about
 *    fourteen x-sized ops) and Mean (one broadcast instead of fill, multiply, divide).
 *
 * Every replacement is checked against the cpu backend in test/backend (copies and single float32 operations
 * exactly, sums and gradients to 1e-4), and a whole training step of each src/models architecture is too.
 */
export function registerTrainingKernels(): void {
  registerConv2dBackpropFilterWasm();
  registerConv2dBackpropInputWasm();
  registerDepthwiseConv2dBackpropFilterWasm();
  registerDepthwiseConv2dBackpropInputWasm();
  registerTileWasm();
  registerReduceWasm();
  registerBatchNormWasm();
  registerBinaryWasm();
  registerDepthToSpaceWasm();
  registerMaxPoolGradWasm();
  registerIdentityWasm();
  registerBatchMatMulWasm();
  registerBatchNormGradWasm();
  registerMeanGradWasm();
}

/**
 * Registers the training kernels if @tensorflow/tfjs-backend-wasm is loaded (its backend factory is registered), and
 * does nothing otherwise; returns whether it registered them. Why: a browser user imports the wasm backend package
 * themselves and may never call `selectBackend`; the root entry calls this when it loads and `purify` calls it before
 * training, so wasm trains conv nets either way, and a WebGL or cpu user's backend is left alone. Idempotent.
 */
export function registerTrainingKernelsIfWasmLoaded(): boolean {
  const factory = tf.findBackendFactory('wasm');
  if (factory === null || factory === undefined) return false;
  registerTrainingKernels();
  return true;
}
