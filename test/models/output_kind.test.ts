import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { ModelError } from '../../src/errors';
import { buildModel, hasWidth, listArchs } from '../../src/models';
import { checkClassifier, checkFiniteWeights, outputKind } from '../../src/models/output_kind';
import { expectNoLeak } from '../helpers/leak';

const disposeAfter = <T>(model: tfl.LayersModel, run: (m: tfl.LayersModel) => T): T => {
  try {
    return run(model);
  } finally {
    model.dispose();
  }
};

function seq(...layers: tfl.layers.Layer[]): tfl.Sequential {
  const model = tfl.sequential();
  for (const layer of layers) model.add(layer);
  return model;
}

const dense = (units: number, activation?: 'softmax' | 'sigmoid' | 'linear' | 'relu'): tfl.layers.Layer =>
  activation === undefined ? tfl.layers.dense({ units, inputShape: [4] }) : tfl.layers.dense({ units, inputShape: [4], activation });

describe('outputKind', () => {
  it('softmax Dense -> probabilities', () => {
    expect(disposeAfter(seq(dense(3, 'softmax')), outputKind)).toBe('probabilities');
  });

  it('linear Dense (explicit or default) and relu -> logits', () => {
    expect(disposeAfter(seq(dense(3)), outputKind)).toBe('logits');
    expect(disposeAfter(seq(dense(3, 'linear')), outputKind)).toBe('logits');
    expect(disposeAfter(seq(dense(3, 'relu')), outputKind)).toBe('logits');
  });

  it("trailing Activation('softmax') or Softmax layer -> probabilities, also behind Dropout", () => {
    expect(disposeAfter(seq(dense(3), tfl.layers.activation({ activation: 'softmax' })), outputKind)).toBe('probabilities');
    expect(disposeAfter(seq(dense(3), tfl.layers.softmax()), outputKind)).toBe('probabilities');
    expect(disposeAfter(seq(dense(3, 'softmax'), tfl.layers.dropout({ rate: 0.5 })), outputKind)).toBe('probabilities');
    expect(disposeAfter(seq(dense(3), tfl.layers.dropout({ rate: 0.5 })), outputKind)).toBe('logits');
  });

  it('looks inside a nested model', () => {
    const inner = seq(dense(3, 'softmax'));
    const input = tfl.input({ shape: [4] });
    const outer = tfl.model({ inputs: input, outputs: inner.apply(input) as tfl.SymbolicTensor });
    expect(disposeAfter(outer, outputKind)).toBe('probabilities');
  });

  it('every built architecture outputs probabilities', () => {
    for (const arch of listArchs()) {
      const args = { inputShape: [16, 16, 1] as [number, number, number], numClasses: 3, ...(hasWidth(arch) ? { width: 4 } : {}) };
      expect(disposeAfter(buildModel(arch, args), outputKind)).toBe('probabilities');
    }
  });

  it('sigmoid outputs and several outputs -> ModelError', () => {
    expect(() => disposeAfter(seq(dense(3, 'sigmoid')), outputKind)).toThrow(ModelError);
    expect(() => disposeAfter(seq(dense(3), tfl.layers.activation({ activation: 'sigmoid' })), outputKind)).toThrow(
      /ends in sigmoid; only one categorical output/,
    );
    const input = tfl.input({ shape: [4] });
    const a = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tfl.SymbolicTensor;
    expect(() => disposeAfter(tfl.model({ inputs: input, outputs: [a, b] }), outputKind)).toThrow(/one output; .* has 2/);
  });
});

describe('checkClassifier', () => {
  it('returns the image shape and class count of an NHWC classifier', () => {
    const model = buildModel('small-cnn', { inputShape: [12, 10, 3], numClasses: 7 });
    expect(disposeAfter(model, checkClassifier)).toEqual({ inputShape: [12, 10, 3], numClasses: 7 });
  });

  it('rejects a non-image input', () => {
    expect(() => disposeAfter(seq(dense(3, 'softmax')), checkClassifier)).toThrow(/NHWC image input .*received \[null,4\]/);
  });

  it('rejects a rank-4 output, a single-class output and two inputs', () => {
    const conv = seq(tfl.layers.conv2d({ filters: 2, kernelSize: 1, inputShape: [4, 4, 1] }));
    expect(() => disposeAfter(conv, checkClassifier)).toThrow(/\[batch, numClasses\] .*received \[null,4,4,2\]/);
    const one = seq(tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 1 }));
    expect(() => disposeAfter(one, checkClassifier)).toThrow(/numClasses >= 2; received \[null,1\]/);
    const x1 = tfl.input({ shape: [4, 4, 1] });
    const x2 = tfl.input({ shape: [4, 4, 1] });
    const sum = tfl.layers.add().apply([x1, x2]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2 }).apply(tfl.layers.flatten().apply(sum)) as tfl.SymbolicTensor;
    expect(() => disposeAfter(tfl.model({ inputs: [x1, x2], outputs: out }), checkClassifier)).toThrow(/one image input; .* has 2 inputs/);
  });
});

describe('checkFiniteWeights', () => {
  function named(): tfl.Sequential {
    return seq(tfl.layers.dense({ name: 'first', units: 2, inputShape: [2] }), tfl.layers.dense({ name: 'second', units: 2 }));
  }

  it('passes finite weights and creates no tensors', async () => {
    const model = named();
    try {
      expect(() => checkFiniteWeights(model)).not.toThrow();
      await expectNoLeak(() => checkFiniteWeights(model));
    } finally {
      model.dispose();
    }
  });

  it('names the first layer and weight holding NaN, with the flat index', () => {
    const model = named();
    try {
      tf.tidy(() => model.getLayer('second').setWeights([tf.tensor2d([[1, 2], [3, NaN]]), tf.tensor1d([0, Infinity])]));
      expect(() => checkFiniteWeights(model)).toThrow(ModelError);
      expect(() => checkFiniteWeights(model)).toThrow(/layer "second" weight "second\/kernel" holds NaN at flat index 3/);
    } finally {
      model.dispose();
    }
  });

  it('finds an infinity in a bias', () => {
    const model = named();
    try {
      tf.tidy(() => model.getLayer('first').setWeights([tf.ones([2, 2]), tf.tensor1d([0, -Infinity])]));
      expect(() => checkFiniteWeights(model)).toThrow(/layer "first" weight "first\/bias" holds -Infinity at flat index 1/);
    } finally {
      model.dispose();
    }
  });
});
