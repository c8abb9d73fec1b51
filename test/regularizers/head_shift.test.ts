import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { headShift } from '../../src/callbacks/head_shift';
import { shiftHead } from '../../src/regularizers/head_shift';

/** A 2-input net whose output Dense (2 -> 2, softmax) has kernel [[3, 0], [0, 4]] (norm 5) and bias [1, -1]. */
function tinyNet(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [2], units: 2, activation: 'relu', name: 'hidden' }));
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'head' }));
  const head = m.getLayer('head');
  head.setWeights([tf.tensor2d([[3, 0], [0, 4]]), tf.tensor1d([1, -1])]);
  return m;
}

const kernelOf = (m: tfl.LayersModel): number[] => Array.from(m.getLayer('head').getWeights()[0]?.dataSync() ?? []);

describe('shiftHead: the output head re-drawn and held away from the suspect head', () => {
  it('re-draws the kernel at the old norm (5) and zeroes the bias; the hidden layer is untouched', () => {
    const m = tinyNet();
    const hiddenBefore = Array.from(m.getLayer('hidden').getWeights()[0]?.dataSync() ?? []);
    const shift = shiftHead(m, 2, 7);
    const k = kernelOf(m);
    expect(Math.hypot(...k)).toBeCloseTo(5, 5);
    expect(k).not.toEqual([3, 0, 0, 4]);
    expect(Array.from(m.getLayer('head').getWeights()[1]?.dataSync() ?? [])).toEqual([0, 0]);
    expect(Array.from(m.getLayer('hidden').getWeights()[0]?.dataSync() ?? [])).toEqual(hiddenBefore);
    expect(shift.head).toBe('head');
    shift.dispose();
    m.dispose();
  });

  it('penalty = weight * <K, K0> / ||K0||^2: with K = [[0, 3], [4, 0]], 2 * 0 / 25 = 0; with K = K0 it is 2', () => {
    const m = tinyNet();
    const shift = shiftHead(m, 2, 7);
    const head = m.getLayer('head');
    head.setWeights([tf.tensor2d([[0, 3], [4, 0]]), tf.tensor1d([0, 0])]);
    expect(shift.penalty().dataSync()[0]).toBeCloseTo(0, 6);
    head.setWeights([tf.tensor2d([[3, 0], [0, 4]]), tf.tensor1d([0, 0])]);
    expect(shift.penalty().dataSync()[0]).toBeCloseTo(2, 6);
    expect(shift.cosine()).toBeCloseTo(1, 6);
    // K = [[3, 0], [0, -4]]: <K, K0> = 9 - 16 = -7, cos = -7 / 25 = -0.28.
    head.setWeights([tf.tensor2d([[3, 0], [0, -4]]), tf.tensor1d([0, 0])]);
    expect(shift.cosine()).toBeCloseTo(-0.28, 6);
    shift.dispose();
    m.dispose();
  });

  it("the penalty's gradient on the kernel is weight * K0 / ||K0||^2 = 2 * [[3, 0], [0, 4]] / 25", () => {
    const m = tinyNet();
    const shift = shiftHead(m, 2, 7);
    const kernel = m.getLayer('head').trainableWeights[0] as unknown as { read(): tf.Variable };
    const { grads } = tf.variableGrads(() => shift.penalty(), [kernel.read()]);
    const g = Array.from(Object.values(grads)[0]?.dataSync() ?? []);
    [0.24, 0, 0, 0.32].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 6));
    tf.dispose(grads);
    shift.dispose();
    m.dispose();
  });

  it('project() rescales the kernel to the suspect norm: [[6, 0], [0, 8]] -> [[3, 0], [0, 4]]', () => {
    const m = tinyNet();
    const shift = shiftHead(m, 2, 7);
    m.getLayer('head').setWeights([tf.tensor2d([[6, 0], [0, 8]]), tf.tensor1d([0, 0])]);
    shift.project();
    [3, 0, 0, 4].forEach((v, i) => expect(kernelOf(m)[i]).toBeCloseTo(v, 5));
    shift.dispose();
    m.dispose();
  });

  it('attached, it is in every fit: one SGD step (lr 0.5) on zero inputs moves K = [[0, 3], [4, 0]] by -0.5 * [[0.24, 0], [0, 0.32]]', async () => {
    // With x = 0 the head's output is its bias alone, so the data loss gives the kernel no gradient: only the penalty.
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ inputShape: [2], units: 2, activation: 'softmax', name: 'head' }));
    m.getLayer('head').setWeights([tf.tensor2d([[3, 0], [0, 4]]), tf.tensor1d([0, 0])]);
    const shift = shiftHead(m, 2, 7);
    m.getLayer('head').setWeights([tf.tensor2d([[0, 3], [4, 0]]), tf.tensor1d([0, 0])]);
    shift.attach();
    shift.attach();
    const sgd = tf.train.sgd(0.5);
    m.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    const x = tf.zeros([1, 2]);
    const y = tf.tensor2d([[1, 0]]);
    await m.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 });
    [-0.12, 3, 4, -0.16].forEach((v, i) => expect(kernelOf(m)[i]).toBeCloseTo(v, 5));
    // Detached, the next step leaves the kernel alone.
    shift.detach();
    await m.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 });
    [-0.12, 3, 4, -0.16].forEach((v, i) => expect(kernelOf(m)[i]).toBeCloseTo(v, 5));
    tf.dispose([x, y]);
    sgd.dispose();
    shift.dispose();
    m.dispose();
  });

  it('leaves no tensor behind once disposed (twice is harmless)', () => {
    const m = tinyNet();
    const before = tf.memory().numTensors;
    const shift = shiftHead(m, 1, 3);
    shift.penalty().dispose();
    shift.project();
    shift.cosine();
    shift.dispose();
    shift.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('leaves no tensor behind with rows either', () => {
    const m = tinyNet();
    const before = tf.memory().numTensors;
    const shift = shiftHead(m, 1, 3, [1]);
    shift.penalty().dispose();
    shift.project();
    shift.cosine();
    shift.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('refuses a model whose output is not a Dense layer, by name', () => {
    const m = tfl.sequential({ name: 'no_head' });
    m.add(tfl.layers.activation({ inputShape: [2], activation: 'softmax' }));
    expect(() => shiftHead(m, 1, 0)).toThrow(/Dense output layer; model 'no_head'/);
    m.dispose();
  });
});

describe('callbacks.headShift: the head shift as a fit callback', () => {
  it('re-draws the head once, holds its norm (5) after each batch, and takes the penalty off when fit ends', async () => {
    const m = tinyNet();
    const sgd = tf.train.sgd(0.1);
    m.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    const x = tf.tensor2d([[1, 2], [2, 1], [0, 1]]);
    const y = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
    const cb = headShift({ weight: 2, seed: 3 });
    await m.fit(x, y, { epochs: 2, batchSize: 1, verbose: 0, callbacks: [cb] });
    expect(cb.head).toBe('head');
    expect(Math.hypot(...kernelOf(m))).toBeCloseTo(5, 4);
    expect(m.getLayer('head').losses).toHaveLength(0);
    const afterFirst = kernelOf(m);
    // A second fit with the same instance does not re-draw: at lr 0 the kernel stays exactly where the first left it.
    const still = tf.train.sgd(0);
    m.compile({ optimizer: still, loss: 'categoricalCrossentropy' });
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, callbacks: [cb] });
    afterFirst.forEach((v, i) => expect(kernelOf(m)[i]).toBeCloseTo(v, 5));
    still.dispose();
    expect(cb.cosine()).toBeLessThan(1);
    const before = tf.memory().numTensors;
    cb.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
    tf.dispose([x, y]);
    sgd.dispose();
    m.dispose();
  });

  it('refuses a negative weight by name', () => {
    expect(() => headShift({ weight: -1 })).toThrow(/weight/);
  });
});

describe('shiftHead with rows: only the chosen input rows of the head are shifted', () => {
  // K0 = [[3, 0], [0, 4]]: row 0 = [3, 0] (input 0), row 1 = [0, 4] (input 1). Rows [1]: K0's part is [[0, 0], [0, 4]], norm 4.
  it('re-draws row 1 at its old norm (4); row 0 and the bias keep their values', () => {
    const m = tinyNet();
    const shift = shiftHead(m, 2, 7, [1]);
    const k = kernelOf(m);
    expect(k.slice(0, 2)).toEqual([3, 0]);
    expect(Math.hypot(k[2] as number, k[3] as number)).toBeCloseTo(4, 5);
    expect(k.slice(2)).not.toEqual([0, 4]);
    expect(Array.from(m.getLayer('head').getWeights()[1]?.dataSync() ?? [])).toEqual([1, -1]);
    shift.dispose();
    m.dispose();
  });

  it('penalty = weight * <K_rows, K0_rows> / ||K0_rows||^2: -2 for row 1 = [0, -4], +2 for row 1 = [0, 4] whatever row 0 is', () => {
    const m = tinyNet();
    const shift = shiftHead(m, 2, 7, [1]);
    const head = m.getLayer('head');
    // <[0, -4], [0, 4]> = -16; / 16 = -1; * 2 = -2. Row 0 ([5, 5]) is outside the rows and does not count.
    head.setWeights([tf.tensor2d([[5, 5], [0, -4]]), tf.tensor1d([0, 0])]);
    expect(shift.penalty().dataSync()[0]).toBeCloseTo(-2, 6);
    expect(shift.cosine()).toBeCloseTo(-1, 6);
    head.setWeights([tf.tensor2d([[-7, 1], [0, 4]]), tf.tensor1d([0, 0])]);
    expect(shift.penalty().dataSync()[0]).toBeCloseTo(2, 6);
    shift.dispose();
    m.dispose();
  });

  it('project() rescales row 1 alone to norm 4: [[6, 0], [0, 8]] -> [[6, 0], [0, 4]]', () => {
    const m = tinyNet();
    const shift = shiftHead(m, 2, 7, [1]);
    m.getLayer('head').setWeights([tf.tensor2d([[6, 0], [0, 8]]), tf.tensor1d([0, 0])]);
    shift.project();
    [6, 0, 0, 4].forEach((v, i) => expect(kernelOf(m)[i]).toBeCloseTo(v, 5));
    shift.dispose();
    m.dispose();
  });

  it('refuses an empty list, a repeated row and a row outside the head, naming the layer and the row', () => {
    const m = tinyNet();
    expect(() => shiftHead(m, 2, 7, [])).toThrow(/head shift rows of 'head': the list is empty/);
    expect(() => shiftHead(m, 2, 7, [1, 1])).toThrow(/1 is listed twice/);
    expect(() => shiftHead(m, 2, 7, [2])).toThrow(/2 is not an input index in \[0, 2\)/);
    expect(() => shiftHead(m, 2, 7, [0.5])).toThrow(/0.5 is not an input index/);
    expect(kernelOf(m)).toEqual([3, 0, 0, 4]);
    m.dispose();
  });
});
