import * as tf from '@tensorflow/tfjs-core';

import { ConfigError } from '../errors';
import { registerTrainingKernels } from './training_kernels';

/** Backends `selectBackend` knows; 'auto' picks the fastest one that loads (tensorflow, then wasm, then cpu). */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Packages that register the native 'tensorflow' backend, GPU build first. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * Loads a package named at run time, unless the backend it registers is already there. Why a dynamic `import` of a
 * variable: the backends are optional peers, so a static import would fail where one is not installed, and bundlers
 * leave a variable specifier alone. In Node (CommonJS and ESM builds alike) it loads the package; in a browser the
 * user imports the backend package instead, and the factory check makes that enough.
 */
async function loadOptional(pkg: string, backendName: string): Promise<void> {
  if (tf.findBackendFactory(backendName) !== null && tf.findBackendFactory(backendName) !== undefined) return;
  await import(/* webpackIgnore: true */ /* @vite-ignore */ pkg);
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

/** Outcome of one attempt: the backend name, or why it could not be used. */
type Attempt = { ok: true } | { ok: false; reason: string };

async function activate(name: string): Promise<Attempt> {
  if (tf.findBackendFactory(name) === null || tf.findBackendFactory(name) === undefined) {
    return { ok: false, reason: `no backend '${name}' is registered with this copy of @tensorflow/tfjs-core` };
  }
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return { ok: false, reason: `backend '${name}' failed to initialise` };
    await tf.ready();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
}

async function tryTensorflow(): Promise<Attempt> {
  const reasons: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await loadOptional(pkg, 'tensorflow');
    } catch (err) {
      reasons.push(`${pkg}: ${reasonOf(err)}`);
      continue;
    }
    // Why check: a tfjs-node that resolved its own tfjs-core copy registers 'tensorflow' there, not in ours.
    const attempt = await activate('tensorflow');
    if (attempt.ok) return attempt;
    reasons.push(`${pkg}: ${attempt.reason}`);
  }
  return { ok: false, reason: reasons.join('; ') };
}

async function tryWasm(): Promise<Attempt> {
  try {
    await loadOptional('@tensorflow/tfjs-backend-wasm', 'wasm');
  } catch (err) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm: ${reasonOf(err)}` };
  }
  registerTrainingKernels();
  return activate('wasm');
}

async function tryCpu(): Promise<Attempt> {
  try {
    await loadOptional('@tensorflow/tfjs-backend-cpu', 'cpu');
  } catch (err) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-cpu: ${reasonOf(err)}` };
  }
  return activate('cpu');
}

const ATTEMPTS: Readonly<Record<Exclude<BackendName, 'auto'>, () => Promise<Attempt>>> = {
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Loads and activates a tfjs backend for training, and returns the name of the one now in use (`tf.getBackend()`).
 *
 * - 'auto' (default): 'tensorflow' if @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node can be required (in that
 *   order; its native gradients are used as they are), else 'wasm' with our missing gradient kernels registered
 *   (see `registerTrainingKernels`), else 'cpu'.
 * - 'tensorflow' | 'wasm' | 'cpu': exactly that backend; if it cannot be loaded, a ConfigError names it and says why.
 *
 * Why wasm before cpu: with SIMD (and our kernels) it trains the package's small conv nets two to three hundred times
 * faster than the pure-JS cpu backend (README "Performance"). It runs on one core: tfjs-backend-wasm 4.22 turns its
 * threaded build off in Node, and forcing it on (measured on 2 cores) made a training step slower, not faster.
 *
 * @example
 * const name = await selectBackend(); // 'wasm' where tfjs-node is not installed
 */
export async function selectBackend(name: BackendName = 'auto'): Promise<string> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new ConfigError(
      `backend must be one of ${BACKEND_NAMES.map((b) => `'${b}'`).join(', ')}; received ${JSON.stringify(name)}`,
      { option: 'backend', expected: BACKEND_NAMES, received: name },
    );
  }
  if (name !== 'auto') {
    const attempt = await ATTEMPTS[name]();
    if (!attempt.ok) {
      throw new ConfigError(`backend '${name}' could not be loaded: ${attempt.reason}`, {
        option: 'backend',
        received: name,
        reason: attempt.reason,
      });
    }
    return tf.getBackend();
  }
  const reasons: string[] = [];
  for (const candidate of ['tensorflow', 'wasm', 'cpu'] as const) {
    const attempt = await ATTEMPTS[candidate]();
    if (attempt.ok) return tf.getBackend();
    reasons.push(`${candidate}: ${attempt.reason}`);
  }
  throw new ConfigError(`no tfjs backend could be loaded (${reasons.join('; ')})`, { option: 'backend', received: name });
}

export { registerTrainingKernels };
