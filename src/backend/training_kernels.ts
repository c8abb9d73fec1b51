import { registerConv2dBackpropFilterWasm } from './conv2d_backprop_filter_wasm';
import { registerConv2dBackpropInputWasm } from './conv2d_backprop_input_wasm';
import { registerDepthwiseConv2dBackpropFilterWasm } from './depthwise_conv2d_backprop_filter_wasm';
import { registerDepthwiseConv2dBackpropInputWasm } from './depthwise_conv2d_backprop_input_wasm';

/**
 * Registers, for the `wasm` backend only, the gradient kernels that tfjs-backend-wasm 4.22 lacks and that training
 * conv nets needs: Conv2DBackpropFilter (every Conv2D / FusedConv2D layer), DepthwiseConv2dNativeBackpropFilter and
 * DepthwiseConv2dNativeBackpropInput (DepthwiseConv2D / SeparableConv2D layers). Every other kernel that a
 * Dense / Conv2D / BatchNormalization / ReLU / Add / GlobalAveragePooling2D / MaxPooling2D / AveragePooling2D /
 * Dropout / Flatten training step reaches (MaxPoolGrad, AvgPoolGrad, Conv2DBackpropInput, …) wasm already has.
 *
 * It also replaces wasm's native Conv2DBackpropInput, a plain loop, with one XNNPACK convolution (2-9x faster at
 * batch 64; see `conv2dBackpropInputViaConv`).
 *
 * Call it once if you set the wasm backend yourself; `selectBackend` calls it for you. Idempotent: kernels already
 * registered (by an earlier call, or natively by a later tfjs) are left as they are. It does not touch other
 * backends, so the native gradients of `tensorflow` (tfjs-node) and `cpu` stay in use.
 */
export function registerTrainingKernels(): void {
  registerConv2dBackpropFilterWasm();
  registerConv2dBackpropInputWasm();
  registerDepthwiseConv2dBackpropFilterWasm();
  registerDepthwiseConv2dBackpropInputWasm();
}
