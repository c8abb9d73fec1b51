import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../src/errors';
import { GradNormOptimizer, gradNorm } from '../../src/optimizers/grad_norm';
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

  it('a loss with a non-constant Hessian, f = (||w1||^2 + ||w2||^2)^2 / 4: one step in each mode, by hand', () => {
    // grad f = S * w_i with S = ||w1||^2 + ||w2||^2, so g2 is not g1 + H * (theta' - theta) for a fixed H.
    // w1 = [0.3, 0.4], w2 = [1.2]: S = 0.25 + 1.44 = 1.69; g1 = 1.69 * w: w1 -> [0.507, 0.676], w2 -> [2.028].
    // rho 0.13, alpha 0.7, SGD lr 0.1.
    //
    // global: ||g1|| = S * sqrt(S) = 1.69 * 1.3 = 2.197; theta' = w + 0.13 * 1.69 w / 2.197 = w + 0.1 w = 1.1 w
    //   (w1' = [0.33, 0.44], w2' = [1.32]); S' = 1.21 * 1.69 = 2.0449; g2 = S' * w' = 2.0449 * 1.1 w = 2.24939 w.
    //   g = 0.3 * 1.69 w + 0.7 * 2.24939 w = (0.507 + 1.574573) w = 2.081573 w;
    //   w_new = w * (1 - 0.2081573) = 0.7918427 w: w1 = [0.23755281, 0.31673708], w2 = [0.95021124].
    //
    // per-tensor: ||g1(w1)|| = 1.69 * 0.5 = 0.845, ||g1(w2)|| = 1.69 * 1.2 = 2.028, so each tensor moves 0.13 along
    //   its unit direction: w1' = [0.3, 0.4] + 0.13 * [0.6, 0.8] = [0.378, 0.504], w2' = 1.2 + 0.13 = [1.33].
    //   S' = 0.142884 + 0.254016 + 1.7689 = 2.1658; g2 = 2.1658 * w': w1 -> [0.8186724, 1.0915632], w2 -> [2.880514].
    //   g(w1) = 0.3 * [0.507, 0.676] + 0.7 * [0.8186724, 1.0915632] = [0.1521 + 0.57307068, 0.2028 + 0.76409424]
    //         = [0.72517068, 0.96689424]; g(w2) = 0.3 * 2.028 + 0.7 * 2.880514 = 0.6084 + 2.0163598 = 2.6247598.
    //   w_new: w1 = [0.3 - 0.072517068, 0.4 - 0.096689424] = [0.227482932, 0.303310576], w2 = 1.2 - 0.26247598 = 0.93752402.
    const expected = {
      global: [[0.23755281, 0.31673708], [0.95021124]],
      'per-tensor': [[0.227482932, 0.303310576], [0.93752402]],
    };
    for (const normalize of ['global', 'per-tensor'] as const) {
      const w1 = tf.variable(tf.tensor1d([0.3, 0.4]));
      const w2 = tf.variable(tf.tensor1d([1.2]));
      const inner = tf.train.sgd(0.1);
      const opt = gradNorm(inner, { rho: 0.13, alpha: 0.7, normalize });
      const quartic = (): tf.Scalar => tf.div(tf.square(tf.add(tf.sum(tf.square(w1)), tf.sum(tf.square(w2)))), 4) as tf.Scalar;
      const cost = opt.minimize(quartic, true, [w1, w2]);
      expect(cost?.dataSync()[0]).toBeCloseTo(1.69 ** 2 / 4, 5); // f at theta: 0.714025
      const got = [Array.from(w1.dataSync()), Array.from(w2.dataSync())];
      expect(got).toEqual(expected[normalize].map((row) => row.map((x) => expect.closeTo(x, 5))));
      tf.dispose([w1, w2, cost as tf.Scalar]);
      opt.dispose();
      inner.dispose();
    }
  });

  it('one trainable tensor: both normalisations give w * (1 + alpha*r/||w||); a zero one stays zero', () => {
    for (const normalize of ['global', 'per-tensor'] as const) {
      const w = tf.variable(tf.tensor1d([3, 4]));
      const z = tf.variable(tf.tensor1d([0, 0]));
      const inner = tf.train.sgd(0.1);
      const opt = gradNorm(inner, { rho: 0.5, alpha: 0.7, normalize });
      // ||g1|| = 5: g = w * 1.07, w_new = w * (1 - 0.107) = [2.679, 3.572].
      opt.minimize(halfSquaredNorm([w]), false, [w]);
      expect(Array.from(w.dataSync()).map((x) => Math.round(x * 1e5) / 1e5)).toEqual([2.679, 3.572]);
      opt.minimize(halfSquaredNorm([z]), false, [z]);
      expect(Array.from(z.dataSync())).toEqual([0, 0]); // not NaN
      tf.dispose([w, z]);
      opt.dispose();
      inner.dispose();
    }
  });

  it('alpha = 0 is a plain SGD step, alpha = 1 is SAM', () => {
    const [plain] = step({ alpha: 0 });
    expect(plain?.[0]).toBeCloseTo(3 * 0.9, 6);
    // SAM with global norm: g = w (1 + r/sqrt29), r = 0.05.
    const [sam] = step({ alpha: 1, rho: 0.05, normalize: 'global' });
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

  it("defaults to 'per-tensor', as purify's finetune.normalize does", () => {
    const inner = tf.train.sgd(0.1);
    const opt = gradNorm(inner);
    expect(opt.normalize).toBe('per-tensor');
    expect(opt.getConfig()['normalize']).toBe('per-tensor');
    // Two tensors, so the default shows in the step: the per-tensor values of the test above, not the global ones.
    const [w1] = step({ rho: 0.5, alpha: 0.7 });
    expect(w1?.[0]).toBeCloseTo(2.679, 5);
    opt.dispose();
    inner.dispose();
  });

  it('rejects bad options with ConfigError naming them', () => {
    const inner = tf.train.sgd(0.1);
    expect(() => gradNorm(inner, { rho: 0 })).toThrow(/rho \(r\) must be a number in \(0, Infinity\]; received 0/);
    expect(() => gradNorm(inner, { alpha: 1.5 })).toThrow(/alpha must be a number in \[0, 1\]; received 1.5/);
    expect(() => gradNorm(inner, { alpha: -0.1 })).toThrow(ConfigError);
    expect(() => gradNorm(inner, { normalize: 'layer' as 'global' })).toThrow(/normalize must be 'global' or 'per-tensor'/);
    expect(() => gradNorm({} as tf.Optimizer)).toThrow(/needs a tf.Optimizer to wrap; received an object of class Object/);
    expect(() => gradNorm(undefined as unknown as tf.Optimizer)).toThrow(ConfigError);
    expect(() => gradNorm(inner, { epsilon: 0 })).toThrow(/epsilon must be a number in \(0, Infinity\]; received 0/);
    expect(() => gradNorm(inner, { rho: Number.NaN })).toThrow(ConfigError);
    inner.dispose();
  });

  it('computeGradients returns the combined gradient and leaves the variables alone (w1 = [3,4], w2 = [0,0])', () => {
    const w1 = tf.variable(tf.tensor1d([3, 4]));
    const w2 = tf.variable(tf.tensor1d([0, 0]));
    const inner = tf.train.sgd(0.1);
    for (const normalize of ['global', 'per-tensor'] as const) {
      const opt = gradNorm(inner, { rho: 0.5, alpha: 0.7, normalize });
      const { value, grads } = opt.computeGradients(halfSquaredNorm([w1, w2]), [w1, w2]);
      // ||g1|| = 5 both ways (w2's gradient is zero): g = w * (1 + 0.7 * 0.5 / 5) = w * 1.07 -> [3.21, 4.28].
      expect(value.dataSync()[0]).toBeCloseTo(12.5, 5);
      const g1 = Array.from((grads[w1.name] as tf.Tensor).dataSync());
      expect(g1[0]).toBeCloseTo(3.21, 5);
      expect(g1[1]).toBeCloseTo(4.28, 5);
      expect(Array.from((grads[w2.name] as tf.Tensor).dataSync())).toEqual([0, 0]); // not NaN
      expect(Array.from(w1.dataSync())).toEqual([3, 4]);
      expect(Array.from(w2.dataSync())).toEqual([0, 0]);
      tf.dispose([value, grads]);
    }
    tf.dispose([w1, w2]);
    inner.dispose();
  });

  it('minimize leaks nothing, with and without returnCost', async () => {
    const w = tf.variable(tf.tensor1d([3, 4]));
    const inner = tf.train.momentum(0.1, 0.9);
    const opt = gradNorm(inner);
    await expectNoLeak(() => {
      opt.minimize(halfSquaredNorm([w]));
      tf.dispose(opt.minimize(halfSquaredNorm([w]), true) as tf.Scalar);
    });
    tf.dispose(w);
    inner.dispose();
  });

  it('delegates weights and iterations to the inner optimizer; dispose() is idempotent and spares a caller-owned inner', async () => {
    const w = tf.variable(tf.tensor1d([3, 4]));
    const inner = tf.train.momentum(0.1, 0.5);
    const opt = gradNorm(inner, { alpha: 0 });
    opt.minimize(halfSquaredNorm([w]), false, [w]);
    opt.minimize(halfSquaredNorm([w]), false, [w]);
    expect(opt.iterations).toBe(2);
    expect(inner.iterations).toBe(2);
    // momentum 0.5, lr 0.1, g = w: v1 = [3,4] -> w = [2.7,3.6]; v2 = 0.5*[3,4] + [2.7,3.6] = [4.2,5.6].
    const weights = await opt.getWeights();
    expect(weights.map((x) => x.name)).toEqual(['iter', `${w.name}/momentum`]);
    expect(Array.from((weights[1]?.tensor as tf.Tensor).dataSync())).toEqual([expect.closeTo(4.2, 5), expect.closeTo(5.6, 5)]);
    await opt.setWeights([{ name: 'iter', tensor: tf.scalar(7, 'int32') }, { name: `${w.name}/momentum`, tensor: tf.tensor1d([1, 1]) }]);
    expect(inner.iterations).toBe(7);
    tf.dispose(weights.map((x) => x.tensor));
    opt.dispose();
    opt.dispose();
    opt.minimize(halfSquaredNorm([w]), false, [w]); // the inner optimizer still works
    tf.dispose(w);
    inner.dispose();
  });

  it('getConfig nests the inner optimizer; fromConfig rebuilds it and then owns (disposes) it', () => {
    const inner = tf.train.sgd(0.25);
    const opt = gradNorm(inner, { rho: 0.2, normalize: 'global' });
    const config = opt.getConfig();
    expect(config).toEqual({
      rho: 0.2,
      alpha: 0.7,
      normalize: 'global',
      epsilon: 1e-12,
      inner: { className: 'SGD', config: { learningRate: 0.25 } },
    });
    const n0 = tf.memory().numTensors;
    const back = GradNormOptimizer.fromConfig(GradNormOptimizer, config) as GradNormOptimizer;
    expect(tf.memory().numTensors).toBe(n0 + 1); // SGD keeps one scalar (-lr)
    expect(back.getConfig()).toEqual(config);
    back.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    expect(() => GradNormOptimizer.fromConfig(GradNormOptimizer, { inner: { className: 'NoSuchOpt', config: {} } })).toThrow(
      /unregistered inner optimizer 'NoSuchOpt'/,
    );
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

  it.each([0, 0.7])('moves BatchNorm moving statistics once per step (alpha = %p), as a plain step does', async (alpha) => {
    // Dense(4 -> 2, kernel ones, bias 0) gives each unit the row sums of x: 10, 2, -0.5, 5 (mean 4.125, biased
    // variance 15.296875). BN momentum 0.5 from (mean 0, variance 1): moving mean 0.5 * 4.125 = 2.0625, moving
    // variance 1 + 0.5 * (15.296875 - 1) = 8.1484375. A second update by the perturbed pass would change both.
    const build = (): tfl.LayersModel => {
      const m = tfl.sequential();
      m.add(tfl.layers.dense({ inputShape: [4], units: 2, kernelInitializer: 'ones' }));
      m.add(tfl.layers.batchNormalization({ momentum: 0.5 }));
      m.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: 'ones' }));
      return m;
    };
    const a = build();
    const b = build();
    const innerA = tf.train.sgd(0.5);
    const innerB = tf.train.sgd(0.5);
    a.compile({ optimizer: gradNorm(innerA, { alpha, rho: 2 }), loss: 'categoricalCrossentropy' });
    b.compile({ optimizer: innerB, loss: 'categoricalCrossentropy' });
    const x = xs();
    const y = ys();
    await a.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    await b.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    const bnA = a.layers[1]?.getWeights() ?? [];
    const bnB = b.layers[1]?.getWeights() ?? [];
    // moving mean and moving variance are the 3rd and 4th BN weights.
    const mean = Array.from((bnA[2] as tf.Tensor).dataSync());
    const variance = Array.from((bnA[3] as tf.Tensor).dataSync());
    expect(mean).toEqual([expect.closeTo(2.0625, 4), expect.closeTo(2.0625, 4)]);
    expect(variance).toEqual([expect.closeTo(8.1484375, 4), expect.closeTo(8.1484375, 4)]);
    expect(mean).toEqual(Array.from((bnB[2] as tf.Tensor).dataSync()));
    expect(variance).toEqual(Array.from((bnB[3] as tf.Tensor).dataSync()));
    // The trainable weights took the wrapper's step: the same as plain SGD at alpha = 0, different otherwise.
    const kA = Array.from((a.layers[2]?.getWeights()[0] as tf.Tensor).dataSync());
    const kB = Array.from((b.layers[2]?.getWeights()[0] as tf.Tensor).dataSync());
    if (alpha === 0) expect(kA).toEqual(kB);
    else expect(kA).not.toEqual(kB);
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
    innerA.dispose();
    innerB.dispose();
  });

  it('works with trainOnBatch: first-pass loss, no disposed-tensor read, no leak', async () => {
    const a = tinyModel(false);
    const b = tinyModel(false);
    b.setWeights(a.getWeights());
    const innerA = tf.train.sgd(0.1);
    const innerB = tf.train.sgd(0.1);
    a.compile({ optimizer: gradNorm(innerA), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    b.compile({ optimizer: innerB, loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const x = xs();
    const y = ys();
    // From the same weights the first pass is the plain pass: same loss and accuracy. tfjs appends the perturbed
    // pass's metric after them (its train function returns every metric pushed by every loss call).
    const outA = (await a.trainOnBatch(x, y)) as number[];
    const outB = (await b.trainOnBatch(x, y)) as number[];
    expect(outA.length).toBe(3);
    expect(outA[0]).toBeCloseTo(outB[0] as number, 6);
    expect(outA[1]).toBe(outB[1]);
    await expectNoLeak(() => a.trainOnBatch(x, y));
    // fit's logs are the first pass's only: from equal weights, one batch, the same loss and accuracy as plain SGD.
    const c = tinyModel(false);
    const d = tinyModel(false);
    c.setWeights(d.getWeights());
    const innerC = tf.train.sgd(0.1);
    const innerD = tf.train.sgd(0.1);
    c.compile({ optimizer: gradNorm(innerC), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    d.compile({ optimizer: innerD, loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const hC = await c.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    const hD = await d.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    expect(Object.keys(hC.history).sort()).toEqual(['acc', 'loss']);
    expect(hC.history['loss']?.[0]).toBeCloseTo(hD.history['loss']?.[0] as number, 6);
    expect(hC.history['acc']?.[0]).toBe(hD.history['acc']?.[0]);
    c.dispose();
    d.dispose();
    innerC.dispose();
    innerD.dispose();
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
    innerA.dispose();
    innerB.dispose();
  });

  it('works with Adam inside fit: one inner iteration per batch, no leak', async () => {
    const model = tinyModel(true);
    const inner = tf.train.adam(0.01);
    const opt = gradNorm(inner, { normalize: 'per-tensor' });
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const x = xs();
    const y = ys();
    const h = await model.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    expect(inner.iterations).toBe(2); // 4 samples / batch 2, each step counted once although f ran twice
    expect(Number.isFinite(h.history['loss']?.[0] as number)).toBe(true);
    await expectNoLeak(() => model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 }));
    tf.dispose([x, y]);
    model.dispose();
    inner.dispose();
  });

  it('survives model.save with includeOptimizer and loadLayersModel (registered class, nested inner config, slots)', async () => {
    const model = tinyModel(false);
    const inner = tf.train.momentum(0.02, 0.8);
    model.compile({ optimizer: gradNorm(inner, { rho: 0.1, alpha: 0.6, normalize: 'per-tensor' }), loss: 'categoricalCrossentropy' });
    const x = xs();
    const y = ys();
    await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 }); // one step: momentum slots exist
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const optimizerConfig = (artifacts?.trainingConfig as { optimizer_config?: unknown } | undefined)?.optimizer_config;
    expect(optimizerConfig).toMatchObject({ class_name: 'GradNormOptimizer', config: { inner: { className: 'Momentum' } } });
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const opt = loaded.optimizer as GradNormOptimizer;
    expect(opt).toBeInstanceOf(GradNormOptimizer);
    expect([opt.rho, opt.alpha, opt.normalize, opt.epsilon]).toEqual([0.1, 0.6, 'per-tensor', 1e-12]);
    expect(opt.inner.getClassName()).toBe('Momentum');
    expect(opt.inner.getConfig()).toEqual({ learningRate: 0.02, momentum: 0.8, useNesterov: false });
    // iteration count (1) and the 4 momentum slots (2 kernels, 2 biases) came back through setWeights.
    expect(opt.iterations).toBe(1);
    const [saved, restored] = [await model.optimizer.getWeights(), await opt.getWeights()];
    expect(restored.length).toBe(5);
    restored.forEach((r, i) => expect(Array.from(r.tensor.dataSync())).toEqual(Array.from((saved[i]?.tensor as tf.Tensor).dataSync())));
    tf.dispose([...saved.map((s) => s.tensor), ...restored.map((r) => r.tensor), x, y]);
    opt.dispose(); // owns the Momentum that fromConfig made
    loaded.dispose();
    model.dispose();
    inner.dispose();
  });
});

describe('GradNormOptimizer inside model.fitDataset (no per-batch tidy there)', () => {
  it('leaks nothing across epochs with metrics on', async () => {
    const model = tinyFitDatasetModel();
    const inner = tf.train.sgd(0.1);
    const opt = gradNorm(inner, { alpha: 0.7 });
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const dataset = (): Parameters<tfl.LayersModel['fitDataset']>[0] =>
      ({
        iterator: async () => {
          let i = 0;
          return {
            next: async () =>
              i++ < 3
                ? { done: false, value: { xs: tf.ones([2, 4]), ys: tf.tensor2d([1, 0, 0, 1], [2, 2]) } }
                : { done: true, value: undefined },
          };
        },
      }) as unknown as Parameters<tfl.LayersModel['fitDataset']>[0];
    await model.fitDataset(dataset(), { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    await model.fitDataset(dataset(), { epochs: 3, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    inner.dispose();
    model.dispose();
  });
});

function tinyFitDatasetModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [4], units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }));
  return m;
}
