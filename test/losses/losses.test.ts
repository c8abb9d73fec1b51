import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../src/errors';
import { crossEntropyLoss } from '../../src/losses/cross_entropy';
import { unlearningLoss } from '../../src/losses/unlearning_loss';
import { expectNoLeak } from '../helpers/leak';

const value = (loss: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, y: number[][], p: number[][]): number =>
  tf.tidy(() => loss(tf.tensor2d(y), tf.tensor2d(p)).dataSync()[0] as number);

describe('cross-entropy and unlearning losses', () => {
  it('probabilities: [0.5,0.25,0.25] with label 0 gives ln 2, negated gives ln 0.5', () => {
    expect(value(crossEntropyLoss('probabilities'), [[1, 0, 0]], [[0.5, 0.25, 0.25]])).toBeCloseTo(Math.LN2, 5);
    expect(value(unlearningLoss('probabilities'), [[1, 0, 0]], [[0.5, 0.25, 0.25]])).toBeCloseTo(Math.log(0.5), 5);
  });

  it('averages over the batch', () => {
    // (ln 2 - ln 0.8) / 2 = (0.693147 + 0.223144) / 2 = 0.458145
    const y = [
      [1, 0, 0],
      [0, 1, 0],
    ];
    const p = [
      [0.5, 0.25, 0.25],
      [0.1, 0.8, 0.1],
    ];
    expect(value(crossEntropyLoss('probabilities'), y, p)).toBeCloseTo(0.458145, 5);
    expect(value(unlearningLoss('probabilities'), y, p)).toBeCloseTo(-0.458145, 5);
  });

  it('probabilities are renormalised and clipped at 1e-7 as Keras does', () => {
    // [1,1,2] -> [.25,.25,.5]; label 2 -> ln 2
    expect(value(crossEntropyLoss('probabilities'), [[0, 0, 1]], [[1, 1, 2]])).toBeCloseTo(Math.LN2, 5);
    // p = 0 is clipped to 1e-7: -ln 1e-7 = 16.118
    expect(value(crossEntropyLoss('probabilities'), [[0, 1, 0]], [[1, 0, 0]])).toBeCloseTo(-Math.log(1e-7), 3);
  });

  it('logits go through softmax: [ln 2, 0, 0] is [0.5,0.25,0.25]; [0,0,0] gives ln 3', () => {
    expect(value(crossEntropyLoss('logits'), [[1, 0, 0]], [[Math.LN2, 0, 0]])).toBeCloseTo(Math.LN2, 5);
    expect(value(unlearningLoss('logits'), [[0, 1, 0]], [[0, 0, 0]])).toBeCloseTo(-Math.log(3), 5);
    // large logits stay finite
    expect(value(crossEntropyLoss('logits'), [[0, 1]], [[1000, 0]])).toBeCloseTo(1000, 2);
  });

  it('caps the unlearning cross-entropy of logits at -ln(1e-7), where an example stops pushing', () => {
    const cap = -Math.log(1e-7); // 16.1181
    // label 1 with logits [1000, 0]: cross-entropy 1000, capped.
    expect(value(unlearningLoss('logits'), [[0, 1]], [[1000, 0]])).toBeCloseTo(-cap, 4);
    // a batch of the capped example and [0, 0] with label 0 (ln 2): mean of -16.1181 and -0.6931.
    expect(value(unlearningLoss('logits'), [[0, 1], [1, 0]], [[1000, 0], [0, 0]])).toBeCloseTo(-(cap + Math.LN2) / 2, 4);
    // the capped example has zero gradient; the other has d/dz of -ln(softmax)_0 / 2 = (softmax - onehot) / 2 = [-.25, .25], negated.
    const g = tf.tidy(() =>
      tf.grad((z: tf.Tensor) => unlearningLoss('logits')(tf.tensor2d([[0, 1], [1, 0]]), z))(tf.tensor2d([[1000, 0], [0, 0]])).arraySync(),
    ) as number[][];
    expect(g[0]).toEqual([0, 0]);
    expect(g[1]?.[0]).toBeCloseTo(0.25, 6);
    expect(g[1]?.[1]).toBeCloseTo(-0.25, 6);
  });

  it('rejects an unknown output kind', () => {
    expect(() => unlearningLoss('softmax' as never)).toThrow(ConfigError);
    expect(() => crossEntropyLoss('softmax' as never)).toThrow(ConfigError);
  });
});

describe('gradient ascent with unlearningLoss', () => {
  // Two separable classes on R^2; a softmax Dense layer that classifies them all correctly.
  const xs = [
    [1, 0],
    [0.8, 0.2],
    [1, -0.2],
    [0.9, 0.1],
    [0, 1],
    [0.2, 0.8],
    [-0.2, 1],
    [0.1, 0.9],
  ];
  const ys = xs.map((_, i) => (i < 4 ? [1, 0] : [0, 1]));

  async function unlearn(epochs: number): Promise<{ before: number; after: number }> {
    const m = tfl.sequential({
      layers: [tfl.layers.dense({ units: 2, inputShape: [2], activation: 'softmax', name: 'd' })],
    });
    const w = tf.tensor2d([
      [1, -1],
      [-1, 1],
    ]);
    const b = tf.zeros([2]);
    m.getLayer('d').setWeights([w, b]);
    const opt = tf.train.sgd(5);
    const x = tf.tensor2d(xs);
    const y = tf.tensor2d(ys);
    const acc = (): number =>
      tf.tidy(() => {
        const pred = tf.argMax(m.predict(x) as tf.Tensor, -1);
        return tf.mean(tf.cast(tf.equal(pred, tf.argMax(y, -1)), 'float32')).dataSync()[0] as number;
      });
    try {
      m.compile({ optimizer: opt, loss: unlearningLoss('probabilities'), metrics: ['acc'] });
      const before = acc();
      await m.fit(x, y, { epochs, batchSize: 8, shuffle: false, verbose: 0 });
      return { before, after: acc() };
    } finally {
      tf.dispose([w, b, x, y]);
      opt.dispose();
      m.dispose();
    }
  }

  it('drives clean accuracy down within a few epochs', async () => {
    const { before, after } = await unlearn(5);
    expect(before).toBe(1);
    expect(after).toBeLessThan(0.5);
  });

  it('leaks nothing through fit with metrics', async () => {
    await expectNoLeak(() => unlearn(1));
  });
});
