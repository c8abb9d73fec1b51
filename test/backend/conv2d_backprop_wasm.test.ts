import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-wasm';

import { conv2dBackpropInputWasmConfig, registerConv2dBackpropInputWasm } from '../../src/backend/conv2d_backprop_input_wasm';
import {
  conv2dBackpropFilterWasmConfig,
  registerConv2dBackpropFilterWasm,
} from '../../src/backend/conv2d_backprop_filter_wasm';
import { nativeKernels } from '../../src/backend/native_kernels';
import { registerTrainingKernels } from '../../src/backend/training_kernels';
import { forEachKernelPath } from '../helpers/kernel_paths';
import { expectNoLeak } from '../helpers/leak';
import { relErr, values } from '../helpers/numeric';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
interface Case {
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: Pad;
}


/** max |a - b| / max |b|: relative error against the reference b. */

/** [dL/dx, dL/dW] for L = Σ conv2d(x, W) ⊙ r, through the op's registered gradients (and so the backend's kernels). */
async function convGrads(c: Case, fused: boolean): Promise<[Float32Array, Float32Array]> {
  const [n, h, w, cin] = c.x;
  const info = tf.backend_util.computeConv2DInfo(c.x, [c.k, c.k, cin, c.cout], c.stride, 1, c.pad);
  const [gx, gw] = tf.tidy(() => {
    const x = tf.tensor4d(values(n * h * w * cin, 1), c.x);
    const wt = tf.tensor4d(values(c.k * c.k * cin * c.cout, 2), [c.k, c.k, cin, c.cout]);
    const r = tf.tensor4d(values(n * info.outHeight * info.outWidth * c.cout, 3), [n, info.outHeight, info.outWidth, c.cout]);
    const bias = tf.tensor1d(values(c.cout, 4));
    return tf.grads((a: tf.Tensor, f: tf.Tensor) => {
      const y = fused
        ? tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, strides: c.stride, pad: c.pad, bias })
        : tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad);
      return tf.sum(tf.mul(y, r));
    })([x, wt]);
  }) as [tf.Tensor, tf.Tensor];
  const out: [Float32Array, Float32Array] = [(await gx.data()) as Float32Array, (await gw.data()) as Float32Array];
  tf.dispose([gx, gw]);
  return out;
}

const cases: Case[] = [
  { x: [2, 7, 7, 3], k: 3, cout: 4, stride: 1, pad: 'same' },
  { x: [2, 7, 7, 3], k: 3, cout: 4, stride: 1, pad: 'valid' },
  { x: [3, 8, 8, 2], k: 3, cout: 5, stride: 2, pad: 'same' },
  { x: [3, 9, 9, 2], k: 3, cout: 5, stride: 2, pad: 'same' },
  { x: [2, 9, 8, 3], k: 3, cout: 2, stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], k: 1, cout: 6, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 4], k: 1, cout: 6, stride: 2, pad: 'same' },
  { x: [2, 7, 7, 4], k: 1, cout: 3, stride: 2, pad: 'valid' },
  { x: [2, 6, 6, 2], k: 2, cout: 3, stride: 2, pad: 'same' },
  { x: [2, 6, 5, 2], k: 3, cout: 3, stride: 1, pad: 1 },
  { x: [2, 7, 6, 3], k: 3, cout: 2, stride: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [3, 6, 6, 5], k: 3, cout: 8, stride: 1, pad: [[0, 0], [0, 1], [1, 0], [0, 0]] },
  // Strided input gradients go by output phases: odd sizes, stride 3, kernels larger than the stride.
  { x: [2, 10, 9, 3], k: 3, cout: 4, stride: 3, pad: 'same' },
  { x: [2, 11, 11, 2], k: 5, cout: 3, stride: 2, pad: 'same' },
  { x: [2, 12, 10, 2], k: 4, cout: 3, stride: 3, pad: 'valid' },
  { x: [2, 9, 9, 3], k: 2, cout: 2, stride: 3, pad: 'same' },
  // kh·kw·ci > 36: the filter gradient as a dilated convolution (smaller ones go through the patch matrix).
  { x: [2, 9, 9, 6], k: 3, cout: 4, stride: 2, pad: 'same' },
  { x: [2, 8, 7, 5], k: 3, cout: 3, stride: 1, pad: 'valid' },
  // Strided 1x1: picked or scattered pixels, including padding rows and columns that read zeros.
  { x: [2, 7, 6, 3], k: 1, cout: 2, stride: 2, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] },
  { x: [2, 9, 8, 2], k: 1, cout: 3, stride: 3, pad: 'same' },
  // The native filter gradient's tiles: 4 input channels by 8 or 4 output channels, and single input channels.
  { x: [2, 9, 9, 1], k: 3, cout: 16, stride: 1, pad: 'same' },
  { x: [2, 8, 7, 5], k: 3, cout: 12, stride: 2, pad: 'same' },
  { x: [2, 10, 9, 8], k: 3, cout: 8, stride: 3, pad: 'valid' },
  { x: [3, 7, 8, 6], k: 2, cout: 20, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [2, 9, 9, 9], k: 1, cout: 4, stride: 2, pad: 'same' },
  { x: [2, 5, 6, 4], k: 5, cout: 4, stride: 2, pad: 'same' }, // kernel wider than the rows it reads
];

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is missing from tfjs-backend-wasm itself and present after registration', () => {
    // Guards the premise (tensorflow/tfjs#8474). If a later tfjs ships the kernel, this fails and tells us to re-check.
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    registerTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(conv2dBackpropFilterWasmConfig.kernelFunc);
    // wasm's native Conv2DBackpropInput (a plain loop) is replaced by the XNNPACK formulation.
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2dBackpropInputWasmConfig.kernelFunc);
  });

  it('registering twice neither throws nor warns', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(() => {
      registerConv2dBackpropFilterWasm();
      registerConv2dBackpropInputWasm();
      registerTrainingKernels();
      registerTrainingKernels();
    }).not.toThrow();
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it.each([
    [1, [12, 16, 24, 28]], // the formulation from tfjs ops (one output channel)
    [4, [12, 24, 36, 48, 16, 32, 48, 64, 24, 48, 72, 96, 28, 56, 84, 112]], // our SIMD kernel
  ])('matches a hand-computed gradient (valid 2x2 filter on 1..9, %i output channels)', async (co, expected) => {
    expect(await tf.setBackend('wasm')).toBe(true);
    // dW[i, j, 0, o] = Σ_{oh, ow} x[oh + i, ow + j] · dy[oh, ow, o] with dy[.., o] = o + 1: (o + 1) times the four 2x2
    // window sums of [[1,2,3],[4,5,6],[7,8,9]], which are 12, 16, 24, 28.
    const native = nativeKernels(tf.backend() as BackendWasm);
    if (native === undefined) throw new Error('the SIMD kernels did not load on wasm');
    const spy = jest.spyOn(native, 'conv2d_filter_grad');
    const g = tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const dy = tf.tile(tf.tensor4d(Array.from({ length: co }, (_, o) => o + 1), [1, 1, 1, co]), [1, 2, 2, 1]);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 1,
        pad: 'valid',
        dataFormat: 'NHWC',
        filterShape: [2, 2, 1, co],
      }) as tf.Tensor;
    });
    expect(spy).toHaveBeenCalledTimes(co % 4 === 0 ? 1 : 0);
    spy.mockRestore();
    expect(g.shape).toEqual([2, 2, 1, co]);
    expect(Array.from(await g.data())).toEqual(expected);
    g.dispose();
    await tf.setBackend('cpu');
  });

  it.each(cases)('filter and input gradients match the cpu kernels to 1e-4 (x %j)', async (c) => {
    await forEachKernelPath(async () => {
      for (const fused of [false, true]) {
        await tf.setBackend('cpu');
        const [refX, refW] = await convGrads(c, fused);
        expect(await tf.setBackend('wasm')).toBe(true);
        const [gotX, gotW] = await convGrads(c, fused);
        expect(gotW.length).toBe(refW.length);
        expect(relErr(gotW, refW)).toBeLessThan(1e-4);
        expect(relErr(gotX, refX)).toBeLessThan(1e-4);
      }
    });
    await tf.setBackend('cpu');
  });

  it('refuses dilations other than 1 with a clear error', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const x = tf.ones([1, 5, 5, 1]);
    const dy = tf.ones([1, 1, 1, 1]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1], dilations: 2 };
    const run = (): unknown =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap);
    expect(run).toThrow(/dilations 1; received 2x2/);
    tf.dispose([x, dy]);
    await tf.setBackend('cpu');
  });

  it('leaves no tensor behind', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const c = cases[2] as Case;
    await expectNoLeak(() => convGrads(c, true));
    await tf.setBackend('cpu');
  });
});
