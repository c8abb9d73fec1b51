import * as tf from '@tensorflow/tfjs-core';

import { kernelInputAsTensor } from './kernel_tensors';
import { replaceWasmKernel } from './wasm_heap';

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return tf.transpose(t, perm);
}

/**
 * Replaces wasm's `BatchMatMul` so that a transposed operand is transposed explicitly (one pass, wasm's Transpose)
 * before wasm's own kernel multiplies with no transpose flag. Idempotent; only the wasm backend is touched.
 *
 * Why: wasm's kernel takes the fast XNNPACK path only without transposes: every Dense layer's gradient has one
 * (x^T·dy for the kernel, dy·W^T for the input), and measured on [50176, 16]^T x [50176, 16] the flag path took 11 ms
 * against 2.5 ms for transpose-then-multiply; a Dense 1568 -> 10 gradient pair went from 2.1 to about 0.3 ms.
 */
export function registerBatchMatMulWasm(): void {
  replaceWasmKernel(tf.BatchMatMul, (original) => (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (transposeA !== true && transposeB !== true) return original.kernelFunc(args);
    const { a, b } = args.inputs;
    if (a === undefined || b === undefined) throw new Error('BatchMatMul needs inputs a and b');
    return tf.tidy(() => {
      const at = transposeA === true ? swapLast(kernelInputAsTensor(a)) : kernelInputAsTensor(a);
      const bt = transposeB === true ? swapLast(kernelInputAsTensor(b)) : kernelInputAsTensor(b);
      return tf.engine().runKernel(tf.BatchMatMul, { a: at, b: bt }, { ...args.attrs, transposeA: false, transposeB: false }) as tf.Tensor;
    });
  });
}
