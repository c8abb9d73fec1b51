import * as tf from '@tensorflow/tfjs-core';
import { jsDivergence, sharedAdversarial, sharedUnlearningLoss, suspectFooled } from '../../src/defenses/shared_adversarial';

describe('sharedAdversarial', () => {
  it('marks fooled images per model and shared ones (both fooled into the same label)', () => {
    // image 0: both 0 -> 1 (shared); 1: neither fooled; 2: both fooled into 0 (shared); 3: both fooled, 3 vs 2.
    const m = sharedAdversarial([1, 2, 0, 3], [0, 2, 1, 1], [1, 0, 0, 2], [0, 0, 1, 1]);
    expect(Array.from(m.fooled)).toEqual([1, 0, 1, 1]);
    expect(Array.from(m.fooledRef)).toEqual([1, 0, 1, 1]);
    expect(Array.from(m.shared)).toEqual([1, 0, 1, 0]);
  });

  it('a perturbation that fools only one model is not shared', () => {
    const m = sharedAdversarial([1], [0], [0], [0]);
    expect(Array.from(m.shared)).toEqual([0]);
  });
});

describe('suspectFooled', () => {
  it('covers an image when the suspect label on it is neither the true label nor its clean label', () => {
    expect(Array.from(suspectFooled([1, 0, 2, 2], [0, 0, 1, 2], [0, 1, 2, 0]))).toEqual([1, 0, 0, 0]);
  });
});

describe('jsDivergence', () => {
  it('is 0 for equal rows and ln 2 for disjoint ones', () => {
    const p = tf.tensor2d([[0.3, 0.7], [1, 0]]);
    const q = tf.tensor2d([[0.3, 0.7], [0, 1]]);
    const before = tf.memory().numTensors;
    const js = jsDivergence(p, q);
    const [same, disjoint] = Array.from(js.dataSync());
    expect(same).toBeCloseTo(0, 6);
    expect(disjoint).toBeCloseTo(Math.LN2, 5);
    js.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([p, q]);
  });
});

describe('sharedUnlearningLoss', () => {
  it('is the mean over the batch of -log(1 - p(target)) on covered images', () => {
    const probs = tf.tensor2d([[0.5, 0.5], [0.9, 0.1]]);
    const targets = tf.tensor2d([[1, 0], [1, 0]]);
    const one = tf.tensor1d([1, 0]);
    const both = tf.tensor1d([1, 1]);
    const a = sharedUnlearningLoss(probs, targets, one);
    const b = sharedUnlearningLoss(probs, targets, both);
    // -log(0.5 + 1e-6) / 2 images; then + -log(0.1 + 1e-6), over 2.
    expect(a.dataSync()[0]).toBeCloseTo(-Math.log(0.500001) / 2, 5);
    expect(b.dataSync()[0]).toBeCloseTo((-Math.log(0.500001) - Math.log(0.100001)) / 2, 5);
    tf.dispose([probs, targets, one, both, a, b]);
  });
});
