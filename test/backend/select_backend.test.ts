import * as tf from '@tensorflow/tfjs-core';

import { selectBackend, type BackendName } from '../../src/backend';
import { ConfigError } from '../../src/errors';

/** Whether a package can be resolved here; decides which outcome 'auto' and 'tensorflow' must have. */
function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const hasNative = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

describe('selectBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("'cpu' activates the cpu backend and returns its name", async () => {
    await expect(selectBackend('cpu')).resolves.toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it("'wasm' activates wasm with the training kernels registered", async () => {
    await expect(selectBackend('wasm')).resolves.toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // A second selection is harmless (kernels are registered once).
    await expect(selectBackend('wasm')).resolves.toBe('wasm');
  });

  it("'auto' (the default) picks tensorflow when tfjs-node is installed, else wasm", async () => {
    await selectBackend('cpu');
    const name = await selectBackend();
    expect(name).toBe(hasNative ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(name);
  });

  (hasNative ? it.skip : it)("a forced 'tensorflow' that cannot load is a ConfigError naming it and why", async () => {
    await selectBackend('cpu');
    const err: unknown = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG');
    expect((err as ConfigError).message).toMatch(/backend 'tensorflow' could not be loaded/);
    expect((err as ConfigError).message).toMatch(/@tensorflow\/tfjs-node.*Cannot find module/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it("when wasm cannot load: forcing it is a ConfigError, 'auto' falls back to cpu", async () => {
    // A fresh module registry in which loading tfjs-backend-wasm throws, as on a broken install. Async: selectBackend
    // loads the package with a dynamic import, which must happen inside the isolated registry too. The tfjs engine is
    // global (shared by every copy of tfjs-core), so the wasm factory an earlier test registered is removed first.
    tf.removeBackend('wasm');
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@tensorflow/tfjs-backend-wasm', () => {
        throw new Error('simulated: wasm binary missing');
      });
      const isolated = require('../../src/backend/select_backend') as typeof import('../../src/backend/select_backend');
      const err: unknown = await isolated.selectBackend('wasm').catch((e: unknown) => e);
      expect((err as Error).name).toBe('ConfigError');
      expect((err as Error).message).toMatch(/^backend 'wasm' could not be loaded: @tensorflow\/tfjs-backend-wasm: simulated/);
      await expect(isolated.selectBackend('auto')).resolves.toBe(hasNative ? 'tensorflow' : 'cpu');
      jest.dontMock('@tensorflow/tfjs-backend-wasm');
    });
  });

  it('a backend package the user loaded already is used as it is, without loading it again', async () => {
    // The browser path: the page imports @tensorflow/tfjs-backend-wasm itself; selectBackend must not need to.
    expect(tf.findBackendFactory('wasm')).toBeNull(); // removed above: this test registers it itself
    await jest.isolateModulesAsync(async () => {
      const isolatedTf = require('@tensorflow/tfjs-core') as typeof tf;
      require('@tensorflow/tfjs-backend-wasm');
      jest.doMock('@tensorflow/tfjs-backend-wasm', () => {
        throw new Error('simulated: no package loader (a browser)');
      });
      const isolated = require('../../src/backend/select_backend') as typeof import('../../src/backend/select_backend');
      await expect(isolated.selectBackend('wasm')).resolves.toBe('wasm');
      expect(isolatedTf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
      jest.dontMock('@tensorflow/tfjs-backend-wasm');
    });
  });

  it('an unknown backend name is a ConfigError saying expected vs received', async () => {
    const err: unknown = await selectBackend('webgl' as BackendName).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      "backend must be one of 'auto', 'tensorflow', 'wasm', 'cpu'; received \"webgl\"",
    );
    expect((err as ConfigError).details).toMatchObject({ option: 'backend', received: 'webgl' });
  });
});
