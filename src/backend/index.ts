export { selectBackend, type BackendName } from './select_backend';
export { registerTrainingKernels, registerTrainingKernelsIfWasmLoaded } from './training_kernels';
export { conv2dBackpropFilterViaConv, registerConv2dBackpropFilterWasm } from './conv2d_backprop_filter_wasm';
export { conv2dBackpropInputViaConv, registerConv2dBackpropInputWasm } from './conv2d_backprop_input_wasm';
export {
  depthwiseConv2dBackpropFilterViaConv,
  registerDepthwiseConv2dBackpropFilterWasm,
} from './depthwise_conv2d_backprop_filter_wasm';
export {
  depthwiseConv2dBackpropInputViaConv,
  registerDepthwiseConv2dBackpropInputWasm,
} from './depthwise_conv2d_backprop_input_wasm';
export { WASM_KERNELS_FLAG } from './native_kernels';
