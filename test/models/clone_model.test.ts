import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { ModelError } from '../../src/errors';
import { cloneModel } from '../../src/models';
import { preactResnetS } from '../../src/models/preact_resnet_s';
import { smallCnn } from '../../src/models/small_cnn';
import { expectNoLeak } from '../helpers/leak';

/** A registered custom layer: multiplies its input by one trainable scalar. */
class TestScale extends tfl.layers.Layer {
  static className = 'TsbdTestScale';
  private scale: tfl.LayerVariable | undefined;

  override build(): void {
    this.scale = this.addWeight('scale', [1], 'float32', tfl.initializers.ones());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      if (this.scale === undefined) throw new Error('not built');
      return tf.mul(x, this.scale.read());
    });
  }
}
tf.serialization.registerClass(TestScale);

/** Dense 2 -> 2 (linear) with kernel [[1, 2], [3, 4]] and bias [0.5, -0.5]. */
function tinyDense(): tfl.Sequential {
  const model = tfl.sequential({ name: 'tiny' });
  model.add(tfl.layers.dense({ name: 'fc', units: 2, inputShape: [2] }));
  tf.tidy(() => model.setWeights([tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([0.5, -0.5])]));
  return model;
}

function predictRow(model: tfl.LayersModel, row: number[]): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor2d([row])) as tf.Tensor).dataSync()));
}

describe('cloneModel', () => {
  it('copies a Sequential model: same values and names, new variables; mutating the clone leaves the original', () => {
    const original = tinyDense();
    const clone = cloneModel(original);
    try {
      // x = [1, 1]: [1 + 3 + 0.5, 2 + 4 - 0.5]
      expect(predictRow(original, [1, 1])).toEqual([4.5, 5.5]);
      expect(predictRow(clone, [1, 1])).toEqual([4.5, 5.5]);
      expect(clone).toBeInstanceOf(tfl.Sequential);
      expect(clone.name).toBe('tiny');
      expect(clone.layers.map((l) => l.name)).toEqual(['fc']);
      expect(clone.weights.map((w) => w.originalName)).toEqual(['fc/kernel', 'fc/bias']);
      expect(clone.weights[0]).not.toBe(original.weights[0]);
      expect(clone.optimizer).toBeUndefined();

      tf.tidy(() => clone.setWeights([tf.zeros([2, 2]), tf.tensor1d([0.5, -0.5])]));
      expect(predictRow(clone, [1, 1])).toEqual([0.5, -0.5]);
      expect(predictRow(original, [1, 1])).toEqual([4.5, 5.5]);
    } finally {
      clone.dispose();
      original.dispose();
    }
  });

  it('disposing the clone leaves the original usable, and the original disposing leaves the clone', () => {
    const original = tinyDense();
    const clone = cloneModel(original);
    clone.dispose();
    expect(predictRow(original, [1, 0])).toEqual([1.5, 1.5]);
    const second = cloneModel(original);
    original.dispose();
    expect(predictRow(second, [0, 1])).toEqual([3.5, 3.5]);
    second.dispose();
  });

  it('copies a functional model with BN, including moving statistics', () => {
    const original = preactResnetS({ inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
    // put non-default values into one BN's moving mean (index 2 = movingMean of b1_bn1)
    const bn = original.getLayer('b1_bn1');
    tf.tidy(() => bn.setWeights([tf.ones([16]), tf.zeros([16]), tf.fill([16], 0.25), tf.fill([16], 2)]));
    const clone = cloneModel(original);
    try {
      expect(clone.layers.map((l) => l.name)).toEqual(original.layers.map((l) => l.name));
      const cloneBn = clone.getLayer('b1_bn1').getWeights();
      expect(Array.from(cloneBn[2]?.dataSync() ?? [])).toEqual(new Array(16).fill(0.25));
      expect(Array.from(cloneBn[3]?.dataSync() ?? [])).toEqual(new Array(16).fill(2));
      const a = original.getWeights().map((w) => Array.from(w.dataSync()));
      const b = clone.getWeights().map((w) => Array.from(w.dataSync()));
      expect(b).toEqual(a);
    } finally {
      clone.dispose();
      original.dispose();
    }
  });

  it('copies a model containing a registered custom layer', () => {
    const input = tfl.input({ shape: [2] });
    const dense = tfl.layers.dense({ name: 'fc', units: 2 }).apply(input) as tfl.SymbolicTensor;
    const scaled = new TestScale({ name: 'scale' }).apply(dense) as tfl.SymbolicTensor;
    const original = tfl.model({ inputs: input, outputs: scaled, name: 'custom' });
    tf.tidy(() => original.setWeights([tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([0.5, -0.5]), tf.tensor1d([3])]));
    const clone = cloneModel(original);
    try {
      // 3 * [4.5, 5.5]
      expect(predictRow(clone, [1, 1])).toEqual([13.5, 16.5]);
      expect(clone.getLayer('scale').getClassName()).toBe('TsbdTestScale');
    } finally {
      clone.dispose();
      original.dispose();
    }
  });

  it('wraps rebuild failures in ModelError', () => {
    const model = tinyDense();
    const seq = jest.spyOn(tfl.Sequential, 'fromConfig').mockImplementation(() => {
      throw new Error('Unknown layer: Foo');
    });
    try {
      expect(() => cloneModel(model)).toThrow(ModelError);
      expect(() => cloneModel(model)).toThrow(/could not rebuild model "tiny" from its config: Unknown layer: Foo/);
    } finally {
      seq.mockRestore();
      model.dispose();
    }
  });

  it('refuses a LayersModel subclass it cannot rebuild', () => {
    const input = tfl.input({ shape: [2] });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor });
    const spy = jest.spyOn(model, 'getClassName').mockReturnValue('MySubclassedModel');
    try {
      expect(() => cloneModel(model)).toThrow(/supports Sequential and functional models; received a MySubclassedModel/);
    } finally {
      spy.mockRestore();
      model.dispose();
    }
  });

  it('clone + dispose leaves the tensor count unchanged', async () => {
    const model = smallCnn({ inputShape: [8, 8, 1], numClasses: 3 });
    try {
      await expectNoLeak(() => cloneModel(model).dispose());
    } finally {
      model.dispose();
    }
  });
});
