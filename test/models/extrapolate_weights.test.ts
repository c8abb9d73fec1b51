import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { extrapolateWeights } from '../../src/models/extrapolate_weights';

/** Dense 2 -> 1 with BatchNorm after it, weights set by hand. */
function net(kernel: number[], bias: number, gamma: number): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [2], units: 1 }));
  m.add(tfl.layers.batchNormalization());
  m.setWeights([tf.tensor2d(kernel, [2, 1]), tf.tensor1d([bias]), tf.tensor1d([gamma]), tf.tensor1d([0]), tf.tensor1d([7]), tf.tensor1d([9])]);
  return m;
}

const values = (m: tfl.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('extrapolateWeights: w <- w + factor * (w - w_from)', () => {
  it('moves every trainable weight along the line from the other model, by hand', () => {
    const from = net([1, 2], 0.5, 1);
    const model = net([2, 0], 1, 1.5);
    // factor 1: kernel [2,0] + ([2,0] - [1,2]) = [3, -2]; bias 1 + 0.5 = 1.5; gamma 1.5 + 0.5 = 2; beta 0 stays 0.
    expect(extrapolateWeights(model, from, 1)).toBe(4);
    const [kernel, bias, gamma, beta, movingMean, movingVar] = values(model);
    expect(kernel).toEqual([3, -2]);
    expect(bias).toEqual([1.5]);
    expect(gamma).toEqual([2]);
    expect(beta).toEqual([0]);
    // moving statistics are not trainable: untouched
    expect(movingMean).toEqual([7]);
    expect(movingVar).toEqual([9]);
    // the other model is not changed
    expect(values(from).slice(0, 3)).toEqual([[1, 2], [0.5], [1]]);
    // factor 0.5 from there: [3,-2] + 0.5 * ([3,-2] - [1,2]) = [4, -4]
    extrapolateWeights(model, from, 0.5);
    expect(values(model)[0]).toEqual([4, -4]);
    model.dispose();
    from.dispose();
  });

  it('factor 0 changes nothing; leaks nothing', () => {
    const from = net([1, 2], 0.5, 1);
    const model = net([2, 0], 1, 1.5);
    const before = tf.memory().numTensors;
    expect(extrapolateWeights(model, from, 0)).toBe(0);
    expect(values(model)[0]).toEqual([2, 0]);
    extrapolateWeights(model, from, 2);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    from.dispose();
  });

  it('refuses another architecture and a negative factor, by name', () => {
    const from = net([1, 2], 0.5, 1);
    const other = tfl.sequential();
    other.add(tfl.layers.dense({ inputShape: [3], units: 1 }));
    expect(() => extrapolateWeights(other, from, 1)).toThrow(/needs models of one architecture: 2 trainable weights against 4/);
    expect(() => extrapolateWeights(from, from, -1)).toThrow(/factor/);
    other.dispose();
    from.dispose();
  });
});
