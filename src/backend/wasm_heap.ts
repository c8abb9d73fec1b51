import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The typed arrays a wasm tensor can live in (float32, int32, bool). */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Dtypes whose data the wasm backend keeps on its heap. */
export function onHeap(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

/**
 * A new output on the wasm heap (uninitialised memory), for kernels written in JS; the kernel returns it.
 *
 * Order matters: allocating can grow the heap, which detaches every earlier view of it, so take all views
 * (`heapView`, inputs and outputs alike) after the last allocation.
 */
export function allocate(backend: BackendWasm, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return backend.makeOutput(shape, dtype);
}

/** A view of a wasm tensor's memory: no copy; valid until the next heap allocation. */
export function heapView(backend: BackendWasm, info: tf.TensorInfo): HeapArray {
  return backend.typedArrayFromHeap(info) as HeapArray;
}

/** The wasm kernel that `replaceWasmKernel` replaced. */
export interface Replaced {
  kernelFunc: tf.KernelFunc;
  setupFunc: tf.KernelSetupFunc | undefined;
}

/** Kernel functions this package registered in place of a wasm kernel. */
const OURS = new WeakSet<tf.KernelFunc>();

/**
 * Replaces wasm's kernel `name` with `make(original)`, where `original` is the kernel being replaced (so the new one
 * can fall back to it). Does nothing when wasm has no such kernel (the wasm package is not loaded yet) or when an
 * earlier call already replaced it. The original's `setupFunc` is kept on the new config, so the fallback works even
 * when the wasm backend initialises after this call. Goes through unregister + register, so tfjs logs no warning.
 * Only the wasm backend is touched.
 */
export function replaceWasmKernel(name: string, make: (original: Replaced) => tf.KernelFunc): void {
  const current = tf.getKernel(name, 'wasm');
  // Nothing to replace before @tensorflow/tfjs-backend-wasm is loaded (registering first would make its own
  // registration warn and win), and nothing to do when ours is already there.
  if (current === undefined || OURS.has(current.kernelFunc)) return;
  const original: Replaced = { kernelFunc: current.kernelFunc, setupFunc: current.setupFunc };
  tf.unregisterKernel(name, 'wasm');
  const kernelFunc = make(original);
  OURS.add(kernelFunc);
  const config: tf.KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc };
  if (original.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  tf.registerKernel(config);
}
