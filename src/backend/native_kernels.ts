import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { KERNELS_WASM_BASE64 } from './native/kernels_wasm';

/**
 * The tfjs flag that turns our WebAssembly SIMD kernels on or off (default on). Off, the wasm training kernels use
 * their formulations from tfjs ops and JS instead: slower, same results to float rounding. For comparisons and
 * debugging: `tf.env().set('TSBD_WASM_KERNELS', false)`.
 */
export const WASM_KERNELS_FLAG = 'TSBD_WASM_KERNELS';

if (!Object.prototype.hasOwnProperty.call(tf.env().getFlags(), WASM_KERNELS_FLAG)) {
  tf.env().registerFlag(WASM_KERNELS_FLAG, () => true);
}

/** Functions of src/backend/native/kernels.c. Pointers are byte offsets into the wasm backend's memory. */
export interface NativeKernels {
  conv2d_filter_grad(
    dw: number, x: number, dy: number, n: number, h: number, w: number, ci: number, oh: number, ow: number,
    co: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
  ): void;
  max_pool_grad(
    dx: number, x: number, dy: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    fh: number, fw: number, sh: number, sw: number, pt: number, pl: number,
  ): void;
}

/**
 * The parts of the WebAssembly JS API used here. Typed locally: the package compiles against lib ES2022, which
 * leaves WebAssembly out (it comes with the DOM lib), and a global declaration of ours could clash with a user's.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** One instance per wasm memory (a new wasm backend brings a new memory); null where instantiation failed. */
const INSTANCES = new WeakMap<WasmMemory, NativeKernels | null>();
let compiled: object | null | undefined;

function decode(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function memoryOf(backend: BackendWasm): WasmMemory | undefined {
  // The Emscripten module keeps its exports, the memory among them, on `asm` (tfjs-backend-wasm 4.x).
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WASM.Memory ? memory : undefined;
}

/**
 * Our SIMD kernels, instantiated on `backend`'s own memory so that they read and write tensors in place, or
 * undefined when they cannot be used: the flag is off, the backend's memory cannot be reached (another
 * tfjs-backend-wasm build), or the module did not compile or link there (e.g. a shared-memory threaded build).
 * Callers then take their other path. Compiles once, synchronously (3-4 KB).
 */
export function nativeKernels(backend: BackendWasm): NativeKernels | undefined {
  if (!tf.env().getBool(WASM_KERNELS_FLAG)) return undefined;
  const memory = memoryOf(backend);
  if (memory === undefined) return undefined;
  let kernels = INSTANCES.get(memory);
  if (kernels === undefined) {
    kernels = null;
    try {
      if (compiled === undefined) compiled = new WASM.Module(decode(KERNELS_WASM_BASE64));
      if (compiled !== null) {
        const { exports } = new WASM.Instance(compiled, { env: { memory } });
        kernels = { ...(exports as NativeKernels) }; // an ordinary object: the exports object itself is frozen
      }
    } catch {
      compiled ??= null; // a module that did not compile is not tried again
    }
    INSTANCES.set(memory, kernels);
  }
  return kernels ?? undefined;
}

/** Byte offset of a float32 wasm tensor in the backend's memory. Stays valid when the heap grows. */
export function pointerOf(backend: BackendWasm, info: tf.TensorInfo): number {
  return (backend.typedArrayFromHeap(info) as Float32Array).byteOffset;
}
