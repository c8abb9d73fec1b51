import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dormancyRanking, meanActivations } from '../../src/defenses/dormancy_scores';
import { channelLipschitz } from '../../src/defenses/lipschitz_scores';
import { outlierNeurons, rankNeurons } from '../../src/defenses/neuron_scores';
import { pruneNeurons } from '../../src/defenses/prune_neurons';
import { largestSingularValue } from '../../src/defenses/spectral_norm';
import { randomMask } from '../../src/defenses/tsbd_ablations';
import { NwcScores } from '../../src/hooks/nwc';
import { UNIT_RANGE } from '../../src/data/tensors';
import type { ImageSet } from '../../src/data/image_set';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

describe('rankNeurons and outlierNeurons', () => {
  it('ranks across layers by descending score; ties go to the earlier layer, then the lower index', () => {
    const r = rankNeurons([
      { layerName: 'a', numNeurons: 3, neuronScores: f32([1, 5, 5]) },
      { layerName: 'b', numNeurons: 2, neuronScores: f32([5, 7]) },
    ]);
    expect(r.ranking.map((n) => `${n.layer}${n.neuron}`)).toEqual(['b1', 'a1', 'a2', 'b0', 'a0']);
  });

  it("takes a layer's neurons above mean + u population standard deviations", () => {
    // Nine 1s and one 10: mean 1.9, sd sqrt((9 * 0.81 + 65.61) / 10) = 2.7.
    const layer = { layerName: 'c', numNeurons: 10, neuronScores: f32([1, 1, 1, 1, 1, 1, 1, 1, 1, 10]) };
    const r = rankNeurons([layer]);
    expect(outlierNeurons(r, 2).map((n) => n.neuron)).toEqual([9]); // threshold 1.9 + 5.4 = 7.3
    expect(outlierNeurons(r, 3.1)).toEqual([]); // threshold 1.9 + 8.37 = 10.27 > 10
  });
});

describe('largestSingularValue and channelLipschitz (CLP)', () => {
  it('matches hand-computed singular values', () => {
    // [[1,2],[3,4]]: A^T A has trace 30 and determinant 4, so sigma^2 = (30 + sqrt(884)) / 2.
    expect(largestSingularValue([1, 2, 3, 4], 2, 2)).toBeCloseTo(Math.sqrt((30 + Math.sqrt(884)) / 2), 10);
    // [[1,0],[0,1],[1,1]]: A^T A = [[2,1],[1,2]], eigenvalues 3 and 1.
    expect(largestSingularValue([1, 0, 0, 1, 1, 1], 3, 2)).toBeCloseTo(Math.sqrt(3), 10);
    expect(largestSingularValue([3, 0, 0, 4], 2, 2)).toBeCloseTo(4, 10);
    expect(largestSingularValue([0, 0, 0, 0], 2, 2)).toBe(0);
  });

  it("reads channel k's kernel [kh, kw, in, k] as an in x (kh*kw) matrix and folds the BatchNorm scale in", () => {
    // Kernel [1, 2, 2, 2]: channel 0 = [[3, 0], [0, 4]] (rows: input channel, columns: kernel position), channel 1 = all 1s.
    const shape = [1, 2, 2, 2];
    const kernel = new Array<number>(8);
    const set = (w: number, i: number, k: number, v: number): void => {
      kernel[(w * 2 + i) * 2 + k] = v;
    };
    [[3, 0], [0, 4]].forEach((row, i) => row.forEach((v, w) => set(w, i, 0, v)));
    for (let i = 0; i < 2; i++) for (let w = 0; w < 2; w++) set(w, i, 1, 1);
    const plain = channelLipschitz(kernel, shape);
    expect(plain[0]).toBeCloseTo(4, 6);
    expect(plain[1]).toBeCloseTo(2, 6); // [[1,1],[1,1]] has singular values 2 and 0
    const scaled = channelLipschitz(kernel, shape, [0.5, 3]);
    expect(scaled[0]).toBeCloseTo(2, 6);
    expect(scaled[1]).toBeCloseTo(6, 6);
  });
});

/** Two 2x2 grey images: every pixel 51 (x = 0.2) in one, 255 (x = 1) in the other. */
const twoImages: ImageSet = { images: Uint8Array.from([51, 51, 51, 51, 255, 255, 255, 255]), labels: Uint8Array.from([0, 1]), count: 2, height: 2, width: 2, channels: 1, numClasses: 2 };

function oneByOneNet(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 3, kernelSize: 1, activation: 'relu', name: 'c1' }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  const conv = m.getLayer('c1');
  conv.setWeights([tf.tensor4d([1, -1, 2], [1, 1, 1, 3]), tf.tensor1d([0, 0.5, 0])]);
  return m;
}

describe('meanActivations and dormancyRanking (Fine-Pruning)', () => {
  it('averages each channel over images and positions, and ranks the least active first', async () => {
    const m = oneByOneNet();
    const before = tf.memory().numTensors;
    // relu(x), relu(0.5 - x), relu(2x) at x = 0.2 and 1: means 0.6, 0.15, 1.2.
    const means = await meanActivations(m, 'c1', twoImages, UNIT_RANGE);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(means).map((v) => Number(v.toFixed(5)))).toEqual([0.6, 0.15, 1.2]);
    expect(dormancyRanking('c1', means).ranking.map((n) => n.neuron)).toEqual([1, 0, 2]);
    m.dispose();
  });
});

describe('pruneNeurons', () => {
  it("zeroes the neuron's kernel, bias and the following BatchNorm's gamma and beta, so the channel outputs 0", () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 2, kernelSize: 1, name: 'c' }));
    m.add(tfl.layers.batchNormalization({ name: 'bn' }));
    m.add(tfl.layers.reLU({ name: 'r' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }));
    m.getLayer('c').setWeights([tf.tensor4d([2, 3], [1, 1, 1, 2]), tf.tensor1d([0.5, 0.25])]);
    // gamma, beta, moving mean, moving variance: channel 1's BN alone would output 0.7 - 1 * 0.2 / sqrt(1 + 1e-3) for a 0 input.
    m.getLayer('bn').setWeights([tf.tensor1d([1, 1]), tf.tensor1d([0.3, 0.7]), tf.tensor1d([0.1, 0.2]), tf.tensor1d([1, 1])]);
    const before = tf.memory().numTensors;
    const done = pruneNeurons(m, [{ layer: 'c', neuron: 1 }]);
    expect(tf.memory().numTensors).toBe(before);
    expect(done).toEqual({ neurons: 1, weights: 1 });
    const [kernel, bias] = m.getLayer('c').getWeights().map((w) => Array.from(w.dataSync()));
    expect(kernel).toEqual([2, 0]);
    expect(bias).toEqual([0.5, 0]);
    const bn = m.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync()).map((v) => Number(v.toFixed(6))));
    expect(bn).toEqual([[1, 0], [0.3, 0], [0.1, 0.2], [1, 1]]);
    const view = tfl.model({ inputs: m.inputs, outputs: m.getLayer('r').output as tfl.SymbolicTensor });
    const out = tf.tidy(() => Array.from((view.predict(tf.ones([1, 2, 2, 1])) as tf.Tensor).dataSync()));
    for (let p = 0; p < 4; p++) {
      expect(out[p * 2 + 1]).toBe(0);
      expect(out[p * 2]).toBeCloseTo((2.5 - 0.1) / Math.sqrt(1.001) + 0.3, 5);
    }
    m.dispose();
  });
});

describe('randomMask (the random-weight control)', () => {
  const scores = new NwcScores([
    { layerName: 'a', kind: 'dense', shape: [3, 2], absDelta: f32([9, 9, 9, 9, 9, 9]) },
    { layerName: 'b', kind: 'dense', shape: [2, 2], absDelta: f32([0, 0, 0, 0]) },
  ]);
  const like = { fraction: 0.5, weightFraction: 0.7, neurons: 2, weights: 4, layers: new Map<string, Uint8Array>() };

  it('marks exactly `count` distinct weights over all scored layers, the same for the same seed', () => {
    const a = randomMask(scores, 4, 7, like);
    const marked = [...a.layers.values()].reduce((s, m) => s + m.reduce((x, v) => x + v, 0), 0);
    expect(marked).toBe(4);
    expect(a.weights).toBe(4);
    expect(a.fraction).toBe(0.5);
    const b = randomMask(scores, 4, 7, like);
    expect([...b.layers.entries()].map(([k, v]) => [k, Array.from(v)])).toEqual([...a.layers.entries()].map(([k, v]) => [k, Array.from(v)]));
    // Asking for all ten marks every weight of both layers, whatever their NWC.
    const all = randomMask(scores, 10, 1, like);
    expect(Array.from(all.layers.get('b') ?? [])).toEqual([1, 1, 1, 1]);
    expect(all.neurons).toBe(4);
  });
});
