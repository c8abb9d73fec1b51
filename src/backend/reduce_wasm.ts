import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { sumRows } from './row_loops';
import { allocate, heapView, replaceWasmKernel } from './wasm_heap';

/**
 * The number k of leading axes when `axis` (of a rank-`rank` tensor) is exactly [0, ..., k-1] with 0 < k < rank,
 * else undefined. Negative axes count from the end; order and duplicates do not matter.
 */
export function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
  const unique = [...new Set(list)].sort((a, b) => a - b);
  const k = unique.length;
  if (k === 0 || k >= rank) return undefined;
  return unique.every((a, i) => a === i) ? k : undefined;
}

/** A Sum or Mean kernel: the leading-axes float32 case on the heap, everything else to `original`. */
function reduceLeading(original: tf.KernelFunc, mean: boolean): tf.KernelFunc {
  return (args) => {
    const x = args.inputs['x'];
    if (x === undefined) throw new Error(`${mean ? 'Mean' : 'Sum'} needs input x`);
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : undefined;
    if (k === undefined) return original(args);
    const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const kept = x.shape.slice(k);
    const backend = args.backend as BackendWasm;
    const outShape = keepDims === true ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept;
    const out = allocate(backend, outShape, 'float32');
    const scale = mean ? 1 / rows : 1;
    const cols = kept.reduce((a, b) => a * b, 1);
    sumRows(heapView(backend, x) as Float32Array, cols, scale, heapView(backend, out) as Float32Array);
    return out;
  };
}

/**
 * Replaces wasm's `Sum` and `Mean` with a version that reduces leading axes of a float32 tensor (e.g. [0, 1, 2] of
 * NHWC, per channel) in one pass over the heap; every other case runs wasm's own kernel. Idempotent; only the wasm
 * backend is touched.
 *
 * Why: wasm reduces innermost axes only, so for leading axes it first transposes the whole tensor. Every
 * BatchNormalization layer does this several times per training step (tf.moments forward, and the sums of its
 * gradient): in a batch-64 preact-resnet-s step, Sum and Mean took about 15% of the time.
 */
export function registerReduceWasm(): void {
  replaceWasmKernel(tf.Sum, (original) => reduceLeading(original.kernelFunc, false));
  replaceWasmKernel(tf.Mean, (original) => reduceLeading(original.kernelFunc, true));
}
