import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../src/errors';
import { GradNormOptimizer, gradNorm } from '../../src/regularizers';
import { expectNoLeak } from '../helpers/leak';

/** f(w) = 0.5 * sum ||w_i||^2, so grad f = w: every step can be derived by hand. */
function halfSquaredNorm(vars: tf.Variable[]): () => tf.Scalar {
  return () => tf.mul(0.5, tf.addN(vars.map((v) => tf.sum(tf.square(v))))) as tf.Scalar;
}

function step(args: ConstructorParameters<typeof GradNormOptimizer>[1], lr = 0.1): number[][] {
  const vars = [tf.variable(tf.tensor1d([3, 4])), tf.variable(tf.tensor1d([0, 2])), tf.variable(tf.tensor1d([0, 0]))];
  const inner = tf.train.sgd(lr);
  const opt = gradNorm(inner, args);
  opt.minimize(halfSquaredNorm(vars), false, vars);
  const out = vars.map((v) => Array.from(v.dataSync()));
  tf.dispose(vars);
  opt.dispose();
  inner.dispose();
  return out;
}

describe('GradNormOptimizer: the two-gradient update (method.md stage 2)', () => {
  // w1 = [3,4], w2 = [0,2], w3 = [0,0]; g1 = w; with rho 0.5, alpha 0.7, SGD lr 0.1.
  it('global normalisation: theta + r*g/||g|| with ||g|| = sqrt(29)', () => {
    // g2 = w * (1 + r/sqrt29), so g = w * (1 + alpha*r/sqrt29) = w * 1.06499340 and w_new = w * 0.89350066.
    const [w1, w2, w3] = step({ rho: 0.5, alpha: 0.7, normalize: 'global' });
    const k = 1 - 0.1 * (1 + (0.7 * 0.5) / Math.sqrt(29));
    expect(w1?.[0]).toBeCloseTo(3 * k, 5);
    expect(w1?.[1]).toBeCloseTo(4 * k, 5);
    expect(w2?.[1]).toBeCloseTo(2 * k, 5);
    expect(k).toBeCloseTo(0.8935007, 6);
    expect(w3).toEqual([0, 0]);
  });

  it("per-tensor normalisation: each tensor by its own norm; a zero gradient is not perturbed (no NaN)", () => {
    // w1: ||g|| = 5 -> factor 1 - 0.1*(1 + 0.35/5) = 0.893; w2: ||g|| = 2 -> 1 - 0.1*(1 + 0.35/2) = 0.8825.
    const [w1, w2, w3] = step({ rho: 0.5, alpha: 0.7, normalize: 'per-tensor' });
    expect(w1?.[0]).toBeCloseTo(2.679, 5);
    expect(w1?.[1]).toBeCloseTo(3.572, 5);
    expect(w2?.[0]).toBeCloseTo(0, 6);
    expect(w2?.[1]).toBeCloseTo(1.765, 5);
    expect(w3).toEqual([0, 0]);
  });

  it('alpha = 0 is a plain SGD step, alpha = 1 is SAM', () => {
    const [plain] = step({ alpha: 0 });
    expect(plain?.[0]).toBeCloseTo(3 * 0.9, 6);
    // SAM with global norm: g = w (1 + r/sqrt29), r = 0.05.
    const [sam] = step({ alpha: 1, rho: 0.05 });
    expect(sam?.[1]).toBeCloseTo(4 * (1 - 0.1 * (1 + 0.05 / Math.sqrt(29))), 6);
  });

  it('restores the weights exactly between the two passes and returns the first-pass loss', () => {
    const w = tf.variable(tf.tensor1d([3, 4]));
    const inner = tf.train.sgd(0);
    const opt = gradNorm(inner, { rho: 0.3 });
    const cost = opt.minimize(halfSquaredNorm([w]), true, [w]);
    expect(cost?.dataSync()[0]).toBeCloseTo(12.5, 6); // 0.5 * (9 + 16), at theta, not at the perturbed point
    expect(Array.from(w.dataSync())).toEqual([3, 4]); // lr 0: nothing may remain of the perturbation
    tf.dispose([w, cost as tf.Scalar]);
    inner.dispose();
  });

  it('rejects bad options with ConfigError naming them', () => {
    const inner = tf.train.sgd(0.1);
    expect(() => gradNorm(inner, { rho: 0 })).toThrow(/rho \(r\) must be a number in \(0, Infinity\]; received 0/);
    expect(() => gradNorm(inner, { alpha: 1.5 })).toThrow(/alpha must be a number in \[0, 1\]; received 1.5/);
    expect(() => gradNorm(inner, { alpha: -0.1 })).toThrow(ConfigError);
    expect(() => gradNorm(inner, { normalize: 'layer' as 'global' })).toThrow(/normalize must be 'global' or 'per-tensor'/);
    expect(() => gradNorm({} as tf.Optimizer)).toThrow(/needs a tf.Optimizer to wrap; received an object of class Object/);
    inner.dispose();
  });
});

function tinyModel(withBn: boolean): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [4], units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  if (withBn) m.add(tfl.layers.batchNormalization({ momentum: 0.5 }));
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

const xs = (): tf.Tensor2D => tf.tensor2d([1, 2, 3, 4, -1, 0, 2, 1, 0.5, -2, 1, 0, 3, 1, -1, 2], [4, 4]);
const ys = (): tf.Tensor2D => tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);

describe('GradNormOptimizer inside model.fit', () => {
  it('leaks nothing across epochs with metrics on (fit keeps one metric set per loss call)', async () => {
    const model = tinyModel(true);
    const inner = tf.train.momentum(0.05, 0.9);
    model.compile({ optimizer: gradNorm(inner), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const x = xs();
    const y = ys();
    await expectNoLeak(() => model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 }));
    tf.dispose([x, y]);
    model.dispose();
    inner.dispose();
  });

  it('moves BatchNorm moving statistics once per step, as a plain step does', async () => {
    const a = tinyModel(true);
    const b = tinyModel(true);
    b.setWeights(a.getWeights());
    const innerA = tf.train.sgd(0.1);
    const innerB = tf.train.sgd(0.1);
    a.compile({ optimizer: gradNorm(innerA, { alpha: 0.7, rho: 0.5 }), loss: 'categoricalCrossentropy' });
    b.compile({ optimizer: innerB, loss: 'categoricalCrossentropy' });
    const x = xs();
    const y = ys();
    await a.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    await b.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    const bnA = a.layers[1]?.getWeights() ?? [];
    const bnB = b.layers[1]?.getWeights() ?? [];
    // moving mean and moving variance are the 3rd and 4th BN weights; they must match the single-pass model's.
    for (const i of [2, 3]) {
      expect(Array.from((bnA[i] as tf.Tensor).dataSync())).toEqual(Array.from((bnB[i] as tf.Tensor).dataSync()));
    }
    // ...while the trainable kernels differ (the perturbed gradient was used).
    const kA = (a.layers[0]?.getWeights()[0] as tf.Tensor).dataSync();
    const kB = (b.layers[0]?.getWeights()[0] as tf.Tensor).dataSync();
    expect(Array.from(kA)).not.toEqual(Array.from(kB));
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
    innerA.dispose();
    innerB.dispose();
  });

  it('survives model.save with includeOptimizer and loadLayersModel (registered class, nested inner config)', async () => {
    const model = tinyModel(false);
    const inner = tf.train.momentum(0.02, 0.8);
    model.compile({ optimizer: gradNorm(inner, { rho: 0.1, alpha: 0.6, normalize: 'per-tensor' }), loss: 'categoricalCrossentropy' });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const opt = loaded.optimizer as GradNormOptimizer;
    expect(opt).toBeInstanceOf(GradNormOptimizer);
    expect([opt.rho, opt.alpha, opt.normalize]).toEqual([0.1, 0.6, 'per-tensor']);
    expect(opt.inner.getClassName()).toBe('Momentum');
    expect(opt.inner.getConfig()).toEqual({ learningRate: 0.02, momentum: 0.8, useNesterov: false });
    opt.dispose();
    opt.inner.dispose();
    loaded.dispose();
    model.dispose();
    inner.dispose();
  });
});
