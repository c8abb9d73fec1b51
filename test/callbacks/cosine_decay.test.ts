import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { cosineDecay } from '../../src/callbacks/cosine_decay';
import { ConfigError } from '../../src/errors';

describe('CosineDecay: the learning rate falls along a half cosine over the fit', () => {
  it('sets lr * (1 + cos(pi e / E)) / 2 before each epoch e', async () => {
    const rates: number[] = [];
    const callback = cosineDecay({ optimizer: { setLearningRate: (lr) => void rates.push(lr) }, lr: 0.1, epochs: 4 });
    for (let e = 0; e < 4; e++) await callback.onEpochBegin(e);
    // cos(pi/4) = 0.70710678: 0.1, 0.1 * 1.70710678 / 2, 0.05, 0.1 * 0.29289322 / 2.
    const expected = [0.1, 0.0853553, 0.05, 0.0146447];
    rates.forEach((r, i) => expect(r).toBeCloseTo(expected[i] as number, 6));
  });

  it('with holdEpochs h, runs epochs before h at lr and spans the cosine over the remaining ones', async () => {
    const rates: number[] = [];
    const callback = cosineDecay({ optimizer: { setLearningRate: (lr) => void rates.push(lr) }, lr: 0.1, epochs: 5, holdEpochs: 2 });
    for (let e = 0; e < 5; e++) await callback.onEpochBegin(e);
    // Epochs 2, 3, 4 decay over 3 epochs: cos(0) = 1, cos(pi/3) = 0.5, cos(2 pi/3) = -0.5.
    const expected = [0.1, 0.1, 0.1, 0.075, 0.025];
    rates.forEach((r, i) => expect(r).toBeCloseTo(expected[i] as number, 9));
    expect(rates).toHaveLength(5);
  });

  it('moves a weight by the scheduled steps in a real fit', async () => {
    // y = w x with w = 0, one example x = 1, y = 1, mean squared error: the gradient is 2 (w - 1).
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1], useBias: false, kernelInitializer: 'zeros' })] });
    const sgd = tf.train.sgd(1);
    model.compile({ optimizer: sgd, loss: 'meanSquaredError' });
    const x = tf.ones([1, 1]);
    const before = tf.memory().numTensors;
    await model.fit(x, x, { epochs: 2, batchSize: 1, verbose: 0, callbacks: [cosineDecay({ optimizer: sgd, lr: 0.25, epochs: 2 })] });
    expect(tf.memory().numTensors).toBe(before);
    // Epoch 0 at 0.25: w = 0 - 0.25 * 2 * (0 - 1) = 0.5. Epoch 1 at 0.125: w = 0.5 - 0.125 * 2 * (0.5 - 1) = 0.625.
    expect(model.getWeights()[0]?.dataSync()[0]).toBeCloseTo(0.625, 6);
    tf.dispose(x);
    sgd.dispose();
    model.dispose();
  });

  it('refuses an optimizer without setLearningRate, a non-integer epoch count and a hold that leaves no decay', () => {
    const adam = tf.train.adam(0.1);
    const sgd = tf.train.sgd(0.1);
    expect(() => cosineDecay({ optimizer: adam as never, lr: 0.1, epochs: 2 })).toThrow(ConfigError);
    expect(() => cosineDecay({ optimizer: sgd, lr: 0.1, epochs: 2.5 })).toThrow(/epochs/);
    // A hold as long as the fit would leave the cosine no epoch to span.
    expect(() => cosineDecay({ optimizer: sgd, lr: 0.1, epochs: 2, holdEpochs: 2 })).toThrow(/holdEpochs/);
    expect(() => cosineDecay({ optimizer: sgd, lr: 0.1, epochs: 4, holdEpochs: 1.5 })).toThrow(/holdEpochs/);
    adam.dispose();
    sgd.dispose();
  });
});
