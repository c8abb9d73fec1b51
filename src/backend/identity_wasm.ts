import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { replaceWasmKernel } from './wasm_heap';

/** A new TensorInfo on the same wasm buffer as `x`, its reference count raised (as the cpu backend's Identity does). */
function share(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Replaces wasm's `Identity`, and `Cast` to the same dtype, with sharing the input's buffer (reference counted)
 * instead of copying it, as the cpu backend does. Strings and real casts run wasm's own kernels. Idempotent; only
 * the wasm backend is touched.
 *
 * Why: tfjs tensors are immutable (a Variable's `assign` switches to a new buffer), so a copy is never needed; but the
 * engine clones every tensor it saves for the backward pass, and tf.moments casts float32 to float32, which on wasm
 * made about 270 full copies per preact-resnet-s training step (9 ms of about 260).
 */
export function registerIdentityWasm(): void {
  replaceWasmKernel(tf.Identity, (original) => (args) => {
    const x = args.inputs['x'];
    if (x === undefined) throw new Error('Identity needs input x');
    return x.dtype === 'string' ? original.kernelFunc(args) : share(args.backend as BackendWasm, x);
  });
  replaceWasmKernel(tf.Cast, (original) => (args) => {
    const x = args.inputs['x'];
    if (x === undefined) throw new Error('Cast needs input x');
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    return x.dtype === dtype && x.dtype !== 'string' ? share(args.backend as BackendWasm, x) : original.kernelFunc(args);
  });
}
