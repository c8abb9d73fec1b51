import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { withOnlyHeadTrainable } from '../../src/models/with_only_head_trainable';
import { ConfigError } from '../../src/errors';

const values = (l: tfl.layers.Layer): number[][] => l.getWeights().map((w) => Array.from(w.dataSync()));

/** A net with the hidden Dense layer and the head inside a nested Sequential, and a frozen-by-the-user first layer. */
function nested(): { model: tfl.LayersModel; first: tfl.layers.Layer; hidden: tfl.layers.Layer; head: tfl.layers.Layer } {
  const first = tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
  const hidden = tfl.layers.dense({ inputShape: [4], units: 4, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) });
  const head = tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) });
  const inner = tfl.sequential({ layers: [hidden, head] });
  const model = tfl.sequential({ layers: [first, inner] });
  first.trainable = false;
  return { model, first, hidden, head };
}

describe('withOnlyHeadTrainable', () => {
  it('trains the output Dense layer alone, also inside a nested model, and puts every flag back', async () => {
    const { model, first, hidden, head } = nested();
    const [x, y] = [tf.randomUniform([16, 3], 0, 1, 'float32', 4), tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0], 'int32'), 2)];
    const hiddenBefore = values(hidden);
    const headBefore = values(head);
    const before = tf.memory().numTensors;
    const seen = await withOnlyHeadTrainable(model, async () => {
      const opt = tf.train.sgd(0.5);
      model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
      opt.dispose();
      return model.trainableWeights.map((w) => w.originalName);
    });
    expect(seen).toHaveLength(2); // the head's kernel and bias only
    expect(values(hidden)).toEqual(hiddenBefore);
    expect(values(head)).not.toEqual(headBefore);
    expect([first.trainable, hidden.trainable, head.trainable]).toEqual([false, true, true]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('puts the flags back when the training throws, and refuses a net without a Dense output layer', async () => {
    const { model, first, hidden, head } = nested();
    await expect(withOnlyHeadTrainable(model, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect([first.trainable, hidden.trainable, head.trainable]).toEqual([false, true, true]);
    const conv = tfl.sequential({ name: 'convOnly', layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }), tfl.layers.flatten()] });
    await expect(withOnlyHeadTrainable(conv, async () => 1)).rejects.toThrow(ConfigError);
    await expect(withOnlyHeadTrainable(conv, async () => 1)).rejects.toThrow(/model 'convOnly' has none/);
    model.dispose();
    conv.dispose();
  });
});
