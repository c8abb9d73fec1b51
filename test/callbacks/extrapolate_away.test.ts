import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ExtrapolateAway, extrapolateAway } from '../../src/callbacks/extrapolate_away';
import { ConfigError } from '../../src/errors';

/** Dense 2 -> 1, weights set by hand, compiled at learning rate 0 so that fit itself moves nothing. */
function net(kernel: number[], bias: number): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] });
  m.setWeights([tf.tensor2d(kernel, [2, 1]), tf.tensor1d([bias])]);
  m.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
  return m;
}

const values = (m: tfl.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('callbacks.extrapolateAway: stage 3 for a script, the move when the recovery fit begins', () => {
  it('moves w to w + factor * (w - w_from) once per instance, however many fits it is given; no tensor left', async () => {
    const suspect = net([1, 2], 0.5);
    const model = net([2, 0], 1);
    const x = tf.tensor2d([[1, 1]]);
    const y = tf.tensor2d([[0]]);
    await model.fit(x, y, { epochs: 1, verbose: 0 }); // warm-up: fit's own first-call tensors are not a leak
    const before = tf.memory().numTensors;
    const cb = extrapolateAway({ from: suspect, factor: 0.5 });
    expect(cb.moved).toBe(false);
    await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [cb] });
    // [2, 0] + 0.5 * ([2, 0] - [1, 2]) = [2.5, -1]; bias 1 + 0.5 * 0.5 = 1.25.
    expect(values(model)).toEqual([[2.5, -1], [1.25]]);
    expect(cb.moved).toBe(true);
    await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [cb] });
    expect(values(model)).toEqual([[2.5, -1], [1.25]]);
    expect(values(suspect)).toEqual([[1, 2], [0.5]]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
    suspect.dispose();
  });

  describe('with a guard (purify\'s): the weights from before the move come back when the recovery falls short', () => {
    /** Dense 2 -> 2 without bias, kernel set by hand, learning rate 0: the recovery fit moves nothing. */
    function classifier(kernel: number[]): tfl.LayersModel {
      const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2, useBias: false })] });
      m.setWeights([tf.tensor2d(kernel, [2, 2])]);
      m.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy' });
      return m;
    }
    // Image [1, 0] is class 0, [0, 1] class 1; with the identity kernel both are right (accuracy 1).
    const x = tf.tensor2d([[1, 0], [0, 1]]);
    const y = tf.tensor2d([[1, 0], [0, 1]]);
    afterAll(() => tf.dispose([x, y]));

    it('puts them back: I + (I - [[3, 0], [0, 0]]) = [[-1, 0], [0, 2]] sends [1, 0] to class 1 (accuracy 0.5 < 1 - 0.02)', async () => {
      const model = classifier([1, 0, 0, 1]);
      const suspect = classifier([3, 0, 0, 0]);
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      const before = tf.memory().numTensors;
      const cb = extrapolateAway({ from: suspect, guard: { x, y, batchSize: 1 } });
      await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [cb] });
      expect(cb.outcome).toEqual({ cleanAccBefore: 1, cleanAccAfter: 0.5, kept: false });
      expect(values(model)).toEqual([[1, 0, 0, 1]]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      suspect.dispose();
    });

    it('keeps the moved ones: I + (I - [[0, 1], [1, 0]]) = [[2, -1], [-1, 2]] still gets both right', async () => {
      const model = classifier([1, 0, 0, 1]);
      const suspect = classifier([0, 1, 1, 0]);
      const labels = tf.tensor1d([0, 1], 'int32'); // class indices in place of one-hot
      const cb = extrapolateAway({ from: suspect, guard: { x, y: labels } });
      expect(cb.outcome).toBeUndefined();
      await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [cb] });
      expect(cb.outcome).toEqual({ cleanAccBefore: 1, cleanAccAfter: 1, kept: true });
      expect(values(model)).toEqual([[2, -1, -1, 2]]);
      labels.dispose();
      model.dispose();
      suspect.dispose();
    });

    it('refuses a guard without tensors, with unequal counts or with a tolerance out of [0, 1]', () => {
      const suspect = classifier([1, 0, 0, 1]);
      const one = tf.tensor1d([0], 'int32');
      expect(() => extrapolateAway({ from: suspect, guard: { x, y: one } })).toThrow(/guard needs tensors \{x, y\} with the same number of images/);
      expect(() => extrapolateAway({ from: suspect, guard: { x: [] as never, y } })).toThrow(ConfigError);
      expect(() => extrapolateAway({ from: suspect, guard: { x, y, tolerance: 2 } })).toThrow(/guard.tolerance/);
      one.dispose();
      suspect.dispose();
    });
  });

  it('defaults to factor 1, and refuses a missing model, a negative factor and another architecture, by name', async () => {
    const suspect = net([1, 2], 0.5);
    expect(new ExtrapolateAway({ from: suspect }).factor).toBe(1);
    expect(() => extrapolateAway({} as never)).toThrow(ConfigError);
    expect(() => extrapolateAway({} as never)).toThrow(/needs args \{from: LayersModel\}/);
    expect(() => extrapolateAway({ from: suspect, factor: -1 })).toThrow(/factor/);
    const other = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1, useBias: false })] });
    other.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const x = tf.tensor2d([[1, 1]]);
    const y = tf.tensor2d([[0]]);
    await expect(other.fit(x, y, { epochs: 1, verbose: 0, callbacks: [extrapolateAway({ from: suspect })] })).rejects.toThrow(
      /needs models of one architecture: 1 trainable weights against 2/,
    );
    tf.dispose([x, y]);
    other.dispose();
    suspect.dispose();
  });
});
