import * as tf from '@tensorflow/tfjs-core';

import { WASM_KERNELS_FLAG } from '../../src/backend/native_kernels';

/**
 * Runs `check` twice: with our WebAssembly SIMD kernels on, then off (the formulations from tfjs ops and JS), so
 * that both paths of a wasm kernel are tested. The flag is back on afterwards, even when `check` throws.
 */
export async function forEachKernelPath(check: (native: boolean) => Promise<void>): Promise<void> {
  try {
    for (const native of [true, false]) {
      tf.env().set(WASM_KERNELS_FLAG, native);
      await check(native);
    }
  } finally {
    tf.env().set(WASM_KERNELS_FLAG, true);
  }
}
