import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { expectNoLeak } from '../helpers/leak';
import { relErr, values } from '../helpers/numeric';

interface Case {
  x: [number, number, number, number];
  k: number;
  mult: number;
  stride: number;
  pad: 'same' | 'valid';
}



/** [dL/dx, dL/dW] for L = Σ depthwiseConv2d(x, W) ⊙ r, through the backend's backprop kernels. */
async function grads(c: Case): Promise<[Float32Array, Float32Array]> {
  const [n, h, w, ch] = c.x;
  const fShape: [number, number, number, number] = [c.k, c.k, ch, c.mult];
  const info = tf.backend_util.computeConv2DInfo(c.x, fShape, c.stride, 1, c.pad, undefined, true);
  const [gx, gw] = tf.tidy(() => {
    const x = tf.tensor4d(values(n * h * w * ch, 11), c.x);
    const f = tf.tensor4d(values(c.k * c.k * ch * c.mult, 12), fShape);
    const r = tf.tensor4d(values(n * info.outHeight * info.outWidth * ch * c.mult, 13), [
      n,
      info.outHeight,
      info.outWidth,
      ch * c.mult,
    ]);
    return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)),
    )([x, f]);
  }) as [tf.Tensor, tf.Tensor];
  const out: [Float32Array, Float32Array] = [(await gx.data()) as Float32Array, (await gw.data()) as Float32Array];
  tf.dispose([gx, gw]);
  return out;
}

const cases: Case[] = [
  { x: [2, 7, 7, 3], k: 3, mult: 1, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, mult: 2, stride: 2, pad: 'same' },
  { x: [3, 9, 8, 2], k: 3, mult: 1, stride: 2, pad: 'valid' },
  { x: [2, 6, 6, 4], k: 1, mult: 2, stride: 1, pad: 'valid' },
];

describe('DepthwiseConv2dNativeBackpropFilter / BackpropInput on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are missing from tfjs-backend-wasm itself and present after registration', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeUndefined();
    registerTrainingKernels();
    registerTrainingKernels();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
  });

  it.each(cases)('match the cpu kernels to 1e-4 (x %j)', async (c) => {
    await tf.setBackend('cpu');
    const [refX, refW] = await grads(c);
    expect(await tf.setBackend('wasm')).toBe(true);
    const [gotX, gotW] = await grads(c);
    expect(relErr(gotX, refX)).toBeLessThan(1e-4);
    expect(relErr(gotW, refW)).toBeLessThan(1e-4);
    await tf.setBackend('cpu');
  });

  it('leave no tensor behind', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    await expectNoLeak(() => grads(cases[1] as Case));
    await tf.setBackend('cpu');
  });
});
