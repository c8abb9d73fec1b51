import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

import { leadingAxes } from '../../src/backend/reduce_wasm';
import { rowLength } from '../../src/backend/binary_wasm';
import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { forEachKernelPath } from '../helpers/kernel_paths';
import { expectNoLeak } from '../helpers/leak';
import { relErr, values } from '../helpers/numeric';

/**
 * The wasm kernels and gradients that registerTrainingKernels speeds up (Sum, Mean, Add/Sub/Multiply/RealDiv with a
 * broadcast row, FusedBatchNorm, DepthToSpace; the Mean and FusedBatchNorm gradients), each against the cpu backend.
 * Copies and single float32 operations must be exact; sums and gradients within 1e-4.
 */
async function onBoth(run: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const read = async (): Promise<Float32Array[]> => {
    const out = tf.tidy(run);
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(list);
    return data;
  };
  await tf.setBackend('cpu');
  const cpu = await read();
  expect(await tf.setBackend('wasm')).toBe(true);
  const wasm = await read();
  await tf.setBackend('cpu');
  return { cpu, wasm };
}

const t = (shape: number[], seed: number, shift = 0): tf.Tensor =>
  tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed).map((v) => v + shift), shape);

describe('wasm fast paths (registerTrainingKernels) equal the cpu backend', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('recognises leading axes and row broadcasts', () => {
    expect(leadingAxes([0, 1, 2], 4)).toBe(3);
    expect(leadingAxes([2, 0, 1], 4)).toBe(3);
    expect(leadingAxes(0, 2)).toBe(1);
    expect(leadingAxes([0, 1, 2, 3], 4)).toBeUndefined();
    expect(leadingAxes([1, 2], 4)).toBeUndefined();
    expect(leadingAxes([-1], 3)).toBeUndefined();
    expect(rowLength([4, 5, 5, 16], [16])).toBe(16);
    expect(rowLength([4, 5, 5, 16], [1, 1, 1, 16])).toBe(16);
    expect(rowLength([4, 5, 5, 16], [5, 16])).toBe(80);
    expect(rowLength([4, 5, 5, 16], [])).toBe(1);
    expect(rowLength([4, 5, 5, 16], [5, 1])).toBeUndefined();
    expect(rowLength([4, 16], [1, 1, 16])).toBeUndefined();
  });

  it.each([
    [[4, 5, 6, 16], [0, 1, 2], false],
    [[4, 5, 6, 13], [0, 1, 2], true],
    [[7, 3], [0], false],
    [[6, 2, 3], [0, 1], true],
    [[4, 5, 6, 3], [1, 2], false], // not leading: wasm's own kernel
    [[4, 5], [0, 1], false], // all axes: wasm's own kernel
  ] as [number[], number[], boolean][])('Sum and Mean of %j over %j (keepDims %s)', async (shape, axes, keepDims) => {
    const { cpu, wasm } = await onBoth(() => {
      const x = t(shape, 1);
      return [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)];
    });
    cpu.forEach((c, i) => expect(relErr(wasm[i] ?? new Float32Array(), c)).toBeLessThan(1e-5));
  });

  const pairs: [number[], number[]][] = [
    [[4, 5, 6, 16], [16]],
    [[4, 5, 6, 16], [1, 1, 1, 16]],
    [[4, 5, 6, 7], [7]],
    [[4, 5, 6, 3], [6, 3]],
    [[3, 5, 2], []],
    [[3, 5, 2], [1]],
    [[9, 2], [2]],
    [[4, 6], [4, 6]], // same shapes: wasm's own kernel
    [[4, 1], [1, 6]], // both broadcast: wasm's own kernel
  ];
  it.each(pairs)('Add, Sub, Multiply, RealDiv of %j with %j, both orders, are exact', async (sa, sb) => {
    const { cpu, wasm } = await onBoth(() => {
      const a = t(sa, 2, 0.1);
      const b = t(sb, 3, 2); // away from 0 for the divisions
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.add(b, a), tf.sub(b, a), tf.mul(b, a), tf.div(b, a)];
    });
    cpu.forEach((c, i) => expect(Array.from(wasm[i] ?? [])).toEqual(Array.from(c)));
  });

  it.each([true, false])('FusedBatchNorm forward (scale and offset given: %s)', async (affine) => {
    const { cpu, wasm } = await onBoth(() => {
      const x = t([4, 5, 6, 11], 4, 0.5);
      const mean = t([11], 5);
      const variance = tf.abs(t([11], 6, 1));
      return affine
        ? tf.batchNorm(x, mean, variance, t([11], 7), t([11], 8), 1e-3)
        : tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3);
    });
    expect(relErr(wasm[0] ?? new Float32Array(), cpu[0] ?? new Float32Array())).toBeLessThan(1e-5);
  });

  it.each([
    [[2, 3, 4, 8], 2],
    [[2, 3, 2, 18], 3],
  ] as [number[], number][])('DepthToSpace of %j, block %i, is exact', async (shape, block) => {
    const { cpu, wasm } = await onBoth(() => tf.depthToSpace(t(shape, 9) as tf.Tensor4D, block));
    expect(Array.from(wasm[0] ?? [])).toEqual(Array.from(cpu[0] ?? []));
  });

  it.each([
    [[3, 8, 8, 5], 2, 2, 'valid'],
    [[2, 7, 9, 4], 3, 2, 'same'], // overlapping windows and padding
    [[2, 6, 6, 3], 3, 1, 'same'],
    [[2, 7, 7, 2], 2, 2, 'same'],
    [[2, 6, 7, 9], 3, 2, 'same'], // SIMD groups of four channels and a remainder
    [[1, 8, 8, 8], 2, 2, 'valid'],
  ] as [number[], number, number, 'valid' | 'same'][])(
    'the MaxPool gradient of %j (window %i, stride %i, %s), ties after a ReLU going to the first maximum',
    async (shape, size, stride, pad) => {
      // Our SIMD kernel (on) and the JS loop (off).
      await forEachKernelPath(async () => {
        const { cpu, wasm } = await onBoth(() => {
          const x = tf.relu(t(shape, 21)) as tf.Tensor4D; // about half zeros: whole windows tie
          const y = tf.maxPool(x, size, stride, pad);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), t(y.shape, 22))))(x);
        });
        expect(relErr(wasm[0] ?? new Float32Array(), cpu[0] ?? new Float32Array())).toBeLessThan(1e-6);
      });
    },
  );

  it.each([
    [[5, 7], [3, 7], false, true],
    [[7, 5], [7, 3], true, false],
    [[7, 5], [3, 7], true, true],
    [[2, 4, 6], [2, 5, 6], false, true],
    [[2, 6, 4], [1, 6, 5], true, false],
  ] as [number[], number[], boolean, boolean][])('BatchMatMul of %j and %j (transposeA %s, transposeB %s)', async (sa, sb, ta, tb) => {
    const { cpu, wasm } = await onBoth(() => tf.matMul(t(sa, 23), t(sb, 24), ta, tb));
    expect(relErr(wasm[0] ?? new Float32Array(), cpu[0] ?? new Float32Array())).toBeLessThan(1e-5);
  });

  it.each([
    [[4, 5, 6, 8], [0, 1, 2]],
    [[4, 5, 6, 8], [1, 2]],
    [[6, 3], [0]],
  ] as [number[], number[]][])('the Mean gradient of %j over %j', async (shape, axes) => {
    const { cpu, wasm } = await onBoth(() => {
      const r = t(shape, 10);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.mul(x, r), axes, true), tf.onesLike(tf.mean(x, axes, true)))))(t(shape, 11));
    });
    expect(relErr(wasm[0] ?? new Float32Array(), cpu[0] ?? new Float32Array())).toBeLessThan(1e-4);
  });

  // (tfjs-core itself can only differentiate FusedBatchNorm when both offset and scale are given: its tape reads every
  // input. tfjs-layers always passes beta and gamma.)
  it('the FusedBatchNorm gradient with respect to x, mean, variance, offset and scale as independent inputs', async () => {
    const { cpu, wasm } = await onBoth(() => {
      const r = t([3, 4, 4, 6], 12);
      return tf.grads((x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, b: tf.Tensor, g: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(x as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3), r)),
      )([t([3, 4, 4, 6], 13), t([6], 14), tf.abs(t([6], 15, 1)), t([6], 20), t([6], 19, 1)]);
    });
    cpu.forEach((c, i) => expect(relErr(wasm[i] ?? new Float32Array(), c)).toBeLessThan(1e-4));
  });

  it('the gradients run tfjs-core’s own code on the cpu backend', () => {
    // Our overrides dispatch on the active backend; on cpu the graph must be tfjs-core's (no kernel of ours).
    const kernels: string[] = [];
    return tf.setBackend('cpu').then(async () => {
      const info = await tf.profile(() =>
        tf.tidy(() => {
          const x = t([2, 3, 3, 4], 16);
          tf.grad((a: tf.Tensor) => {
            const { mean, variance } = tf.moments(a, [0, 1, 2]);
            return tf.sum(tf.batchNorm(a as tf.Tensor4D, mean, variance, tf.zeros([4]) as tf.Tensor1D, tf.ones([4]) as tf.Tensor1D));
          })(x);
        }),
      );
      for (const k of info.kernels) kernels.push(k.name);
      expect(kernels).toContain('Tile');
      expect(kernels).not.toContain('TsbdFusedBatchNormGrad');
    });
  });

  it('leaves no tensor behind', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    await expectNoLeak(() =>
      tf.tidy(() => {
        const x = t([2, 4, 4, 8], 17);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(a, [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, mean, variance, tf.zeros([8]) as tf.Tensor1D, b as tf.Tensor1D), 2));
        })([x, t([8], 18, 1)]);
      }).forEach((g) => g.dispose()),
    );
    await tf.setBackend('cpu');
  });
});
