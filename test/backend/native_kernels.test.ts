import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-wasm';

import { nativeKernels, WASM_KERNELS_FLAG } from '../../src/backend/native_kernels';
import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { expectNoLeak } from '../helpers/leak';

/**
 * Our WebAssembly SIMD kernels (src/backend/native/kernels.c) load into the wasm backend's memory and are the path
 * the kernels take. Their numerics against the cpu backend, and the hand-computed filter gradient, are in
 * conv2d_backprop_wasm.test.ts and wasm_fast_kernels.test.ts, run with the kernels on and off.
 */
describe('native wasm kernels', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    tf.env().set(WASM_KERNELS_FLAG, true);
    await tf.setBackend('cpu');
  });

  it('load on the wasm backend, and the flag turns them off', () => {
    const backend = tf.backend() as BackendWasm;
    const kernels = nativeKernels(backend);
    expect(typeof kernels?.conv2d_filter_grad).toBe('function');
    expect(typeof kernels?.max_pool_grad).toBe('function');
    expect(nativeKernels(backend)).toBe(kernels); // instantiated once per memory
    tf.env().set(WASM_KERNELS_FLAG, false);
    expect(nativeKernels(backend)).toBeUndefined();
    tf.env().set(WASM_KERNELS_FLAG, true);
  });

  it('compute a hand-worked MaxPool gradient (first maximum of each window, overlaps add)', async () => {
    // x row [1, 3, 3, 2] as a 1x4 image, window 1x2, stride 1: windows (1,3) (3,3) (2... ) pick indices 1, 1, 2.
    const spy = jest.spyOn(nativeKernels(tf.backend() as BackendWasm)!, 'max_pool_grad');
    const g = tf.tidy(() => {
      const x = tf.tensor4d([1, 3, 3, 2], [1, 1, 4, 1]);
      return tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, [1, 2], 1, 'valid'), tf.tensor4d([10, 20, 30], [1, 1, 3, 1]))),
      )(x);
    });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(Array.from(await g.data())).toEqual([0, 30, 30, 0]);
    g.dispose();
  });

  it('leave no tensor behind', async () => {
    await expectNoLeak(async () => {
      const g = tf.tidy(() => {
        const x = tf.ones([2, 6, 6, 3]) as tf.Tensor4D;
        const loss = (w: tf.Tensor): tf.Scalar =>
          tf.sum(tf.maxPool(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'), 2, 2, 'valid'));
        return tf.grad(loss)(tf.ones([3, 3, 3, 8]));
      });
      await g.data();
      g.dispose();
    });
  });
});
