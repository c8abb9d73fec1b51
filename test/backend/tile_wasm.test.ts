import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

import { tileInto } from '../../src/backend/tile_wasm';
import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { expectNoLeak } from '../helpers/leak';
import { relErr, values } from '../helpers/numeric';

/** tf.tile on the current backend, read back as plain numbers. */
async function tileOn(shape: number[], reps: number[], dtype: 'float32' | 'int32' | 'bool'): Promise<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = values(n, 5).map((v) => (dtype === 'float32' ? v : dtype === 'int32' ? Math.round(v * 100) : v > 0 ? 1 : 0));
  const t = tf.tidy(() => tf.tile(tf.tensor(raw, shape, dtype), reps));
  const out = Array.from(await t.data());
  t.dispose();
  return out;
}

/**
 * [dL/dx, dL/dgamma, dL/dbeta] for L = Σ BN(x) ⊙ r with training-mode batch statistics, as tfjs-layers computes them
 * (tf.moments over n, h, w, then tf.batchNorm): reaches FusedBatchNorm's gradient, and so Tile, Sum, Mean and friends.
 */
async function bnGrads(shape: [number, number, number, number]): Promise<Float32Array[]> {
  const c = shape[3];
  const n = shape.reduce((a, b) => a * b, 1);
  const gs = tf.tidy(() => {
    const x = tf.tensor4d(values(n, 1).map((v) => v * 3 + 0.5), shape);
    const gamma = tf.tensor1d(values(c, 2).map((v) => v + 1.5));
    const beta = tf.tensor1d(values(c, 3));
    const r = tf.tensor4d(values(n, 4), shape);
    return tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      const y = tf.batchNorm(a as tf.Tensor4D, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
      return tf.sum(tf.mul(y, r));
    })([x, gamma, beta]);
  });
  const out = await Promise.all(gs.map(async (g) => Float32Array.from(await g.data())));
  tf.dispose(gs);
  return out;
}

describe('Tile on wasm (block copies on the heap)', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('tileInto repeats blocks as tile defines (hand-checked)', () => {
    const out = new Float32Array(12);
    tileInto(Float32Array.from([1, 2, 3]), [1, 3], [2, 2], out);
    expect(Array.from(out)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const col = new Int32Array(6);
    tileInto(Int32Array.from([1, 2]), [2, 1], [1, 3], col);
    expect(Array.from(col)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  const cases: [number[], number[]][] = [
    [[1, 1, 1, 16], [4, 5, 5, 1]], // what the BatchNorm gradient asks for
    [[2, 3, 4], [1, 1, 1]],
    [[2, 3], [3, 2]],
    [[3, 1, 2], [2, 4, 1]],
    [[5], [7]],
    [[2, 1, 3, 2], [1, 3, 1, 2]],
    [[1, 2, 1, 3, 1], [2, 1, 2, 1, 3]],
    [[], []],
  ];
  it.each(cases)('shape %j reps %j equals the cpu kernel exactly (float32, int32, bool)', async (shape, reps) => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await tf.setBackend('cpu');
      const ref = await tileOn(shape, reps, dtype);
      expect(await tf.setBackend('wasm')).toBe(true);
      expect(await tileOn(shape, reps, dtype)).toEqual(ref);
    }
    await tf.setBackend('cpu');
  });

  it('is the kernel wasm now runs, and registering again neither throws nor warns', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const before = tf.getKernel('Tile', 'wasm')?.kernelFunc;
    registerTrainingKernels();
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc).toBe(before);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    // The cpu backend keeps its own kernel.
    expect(tf.getKernel('Tile', 'cpu')?.kernelFunc).not.toBe(before);
  });

  it.each([
    [[4, 6, 6, 8]],
    [[3, 5, 4, 3]],
  ] as [[number, number, number, number]][])(
    'the BatchNorm gradient (x, gamma, beta) matches the cpu backend to 1e-4 (x %j)',
    async (shape) => {
      await tf.setBackend('cpu');
      const ref = await bnGrads(shape);
      expect(await tf.setBackend('wasm')).toBe(true);
      const got = await bnGrads(shape);
      await tf.setBackend('cpu');
      ref.forEach((r, i) => expect(relErr(got[i] ?? new Float32Array(), r)).toBeLessThan(1e-4));
    },
  );

  it('leaves no tensor behind', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    await expectNoLeak(() => bnGrads([2, 4, 4, 3]));
    await tf.setBackend('cpu');
  });
});
