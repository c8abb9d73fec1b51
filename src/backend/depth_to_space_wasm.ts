import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { allocate, heapView, replaceWasmKernel, type HeapArray } from './wasm_heap';

/**
 * DepthToSpace, NHWC: out[n, h·b + i, w·b + j, c] = x[n, h, w, (i·b + j)·C + c] for x of shape [n, H, W, b·b·C].
 * Every run of C channels is one contiguous copy. Exported for tests.
 */
export function depthToSpaceInto(x: HeapArray, shape: readonly number[], b: number, out: HeapArray): void {
  const [n, h, w, depth] = shape as [number, number, number, number];
  const c = depth / (b * b);
  const outRow = w * b * c;
  for (let ni = 0; ni < n; ni++) {
    for (let hi = 0; hi < h; hi++) {
      const src0 = (ni * h + hi) * w * depth;
      for (let i = 0; i < b; i++) {
        const dst0 = ((ni * h + hi) * b + i) * outRow;
        for (let wi = 0; wi < w; wi++) {
          for (let j = 0; j < b; j++) {
            const src = src0 + wi * depth + (i * b + j) * c;
            const dst = dst0 + (wi * b + j) * c;
            for (let k = 0; k < c; k++) out[dst + k] = x[src + k] as number;
          }
        }
      }
    }
  }
}

/**
 * Replaces wasm's `DepthToSpace` with `depthToSpaceInto` for NHWC float32/int32 (anything else runs wasm's own).
 * Idempotent; only the wasm backend is touched.
 *
 * Why: the strided input gradient (`conv2dBackpropInputViaConv`) interleaves its output phases with DepthToSpace,
 * and wasm's kernel took 29 ms on [64, 14, 14, 64] (block 2), four times the convolution that made the phases;
 * as contiguous copies it takes about 1 ms.
 */
export function registerDepthToSpaceWasm(): void {
  replaceWasmKernel(tf.DepthToSpace, (original) => (args) => {
    const x = args.inputs['x'];
    if (x === undefined) throw new Error('DepthToSpace needs input x');
    const { blockSize, dataFormat } = args.attrs as unknown as tf.DepthToSpaceAttrs;
    if (dataFormat !== 'NHWC' || x.shape.length !== 4 || (x.dtype !== 'float32' && x.dtype !== 'int32')) {
      return original.kernelFunc(args);
    }
    const [n, h, w, depth] = x.shape as [number, number, number, number];
    const backend = args.backend as BackendWasm;
    const out = allocate(backend, [n, h * blockSize, w * blockSize, depth / (blockSize * blockSize)], x.dtype);
    depthToSpaceInto(heapView(backend, x), x.shape, blockSize, heapView(backend, out));
    return out;
  });
}
