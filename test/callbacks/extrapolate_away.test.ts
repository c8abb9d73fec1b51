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
