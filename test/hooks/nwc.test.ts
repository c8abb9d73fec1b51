import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../../src/errors';
import { NwcScores, nwcScores } from '../../src/hooks/nwc';
import { WeightSnapshot, weightSnapshot } from '../../src/hooks/weight_snapshot';
import { expectNoLeak } from '../helpers/leak';

/** 3x3x1 -> c: Conv2D 2x2, 2 filters (kernel [2,2,1,2]) -> flatten (8) -> h: Dense 3 ([8,3]) -> out: Dense 2. */
function tinyModel(filters = 2): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters, kernelSize: 2, inputShape: [3, 3, 1], name: 'c' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, name: 'h' }),
      tfl.layers.dense({ units: 2, name: 'out' }),
    ],
  });
}

function setKernel(model: tfl.LayersModel, name: string, values: number[]): void {
  const layer = model.getLayer(name);
  const [kernel, bias] = layer.getWeights();
  const k = tf.tensor(values, (kernel as tf.Tensor).shape);
  const b = tf.zerosLike(bias as tf.Tensor);
  layer.setWeights([k, b]);
  k.dispose();
  b.dispose();
}

// Hand-set changes. Conv kernel element i belongs to output channel i % 2; dense element i to unit i % 3.
const dC = [0.125, -0.25, 0.25, 0.5, 0, 0, -0.5, 0.125];
// c0 = .125 + .25 + 0 + .5 = 0.875;  c1 = .25 + .5 + 0 + .125 = 0.875
const dH = new Array<number>(24).fill(0);
dH[0] = 1.0; // row 0, unit 0
dH[4] = 0.875; // row 1, unit 1
dH[5] = -0.5; // row 1, unit 2
dH[23] = 0.25; // row 7, unit 2
// h0 = 1.0, h1 = 0.875, h2 = 0.75
const BEFORE_C = new Array<number>(8).fill(1);
const BEFORE_H = new Array<number>(24).fill(0);

describe('NWC scores', () => {
  let model: tfl.Sequential;
  let before: WeightSnapshot;

  beforeEach(() => {
    model = tinyModel();
    setKernel(model, 'c', BEFORE_C);
    setKernel(model, 'h', BEFORE_H);
    before = WeightSnapshot.capture(model, 'conv+dense');
    setKernel(model, 'c', BEFORE_C.map((v, i) => v + (dC[i] as number)));
    setKernel(model, 'h', dH);
  });
  afterEach(() => {
    before.dispose();
    model.dispose();
  });

  it('the snapshot is a clone: it keeps the values from before the change', () => {
    expect(before.kernels.map((k) => k.layerName)).toEqual(['c', 'h']);
    expect(Array.from(before.kernels[0]?.values.dataSync() ?? [])).toEqual(BEFORE_C);
    expect(before.kernels[0]?.numNeurons).toBe(2);
    expect(before.kernels[1]?.shape).toEqual([8, 3]);
  });

  it('computes |delta| per element and the per-neuron L1 sums by hand', () => {
    const s = nwcScores(before, model);
    const c = s.layers[0];
    const h = s.layers[1];
    expect(c?.layerName).toBe('c');
    expect(Array.from(c?.absDelta ?? [])).toEqual([0.125, 0.25, 0.25, 0.5, 0, 0, 0.5, 0.125]);
    expect(Array.from(c?.neuronScores ?? [])).toEqual([0.875, 0.875]);
    expect(Array.from(h?.neuronScores ?? [])).toEqual([1.0, 0.875, 0.75]);
  });

  it('relative: each |delta| over its neuron\'s L1 weight norm before the change; a zero norm divides by 1', () => {
    const s = nwcScores(before, model, { relative: true });
    // c: every weight was 1, so each channel's 4 incoming weights have norm 4: |delta| / 4.
    expect(Array.from(s.layers[0]?.absDelta ?? [])).toEqual([0.03125, 0.0625, 0.0625, 0.125, 0, 0, 0.125, 0.03125]);
    expect(Array.from(s.layers[0]?.neuronScores ?? [])).toEqual([0.21875, 0.21875]);
    // h: every weight was 0 (norm 0): the changes stay as they are.
    expect(Array.from(s.layers[1]?.neuronScores ?? [])).toEqual([1.0, 0.875, 0.75]);
    expect(s.ranking.map((r) => `${r.layer}${r.neuron}`)).toEqual(['h0', 'h1', 'h2', 'c0', 'c1']);
  });

  it('ranks all neurons in ONE global list; ties by layer order then neuron index', () => {
    const s = nwcScores(before, model);
    expect(s.toJSON()).toEqual([
      { layer: 'h', neuron: 0, score: 1 },
      { layer: 'c', neuron: 0, score: 0.875 },
      { layer: 'c', neuron: 1, score: 0.875 },
      { layer: 'h', neuron: 1, score: 0.875 },
      { layer: 'h', neuron: 2, score: 0.75 },
    ]);
    expect(s.totalNeurons).toBe(5);
    expect(s.toCSV()).toBe('layer,neuron,score\nh,0,1\nc,0,0.875\nc,1,0.875\nh,1,0.875\nh,2,0.75\n');
  });

  it('accepts a second snapshot as `after`, with the same result', () => {
    const after = weightSnapshot(model, 'conv+dense');
    try {
      expect(nwcScores(before, after).toJSON()).toEqual(nwcScores(before, model).toJSON());
    } finally {
      after.dispose();
    }
  });

  it('throws a ModelError on a missing layer or a changed shape', () => {
    const other = tinyModel(3);
    const renamed = tfl.sequential({
      layers: [tfl.layers.dense({ units: 3, inputShape: [2], name: 'zz' }), tfl.layers.dense({ units: 2 })],
    });
    try {
      expect(() => nwcScores(before, other)).toThrow(/changed/);
      expect(() => nwcScores(before, renamed)).toThrow(ModelError);
    } finally {
      other.dispose();
      renamed.dispose();
    }
  });

  it('NwcScores can be built from plain arrays; depthwise neurons are in*mult channels', () => {
    // depthwise kernel [1,1,2,2]: element i -> channel i % 4
    const s = new NwcScores([
      { layerName: 'dw', kind: 'depthwise', shape: [1, 2, 2, 2], absDelta: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
    ]);
    expect(Array.from(s.layers[0]?.neuronScores ?? [])).toEqual([6, 8, 10, 12]);
    expect(s.ranking.map((r) => r.neuron)).toEqual([3, 2, 1, 0]);
    expect(() => new NwcScores([{ layerName: 'x', kind: 'dense', shape: [2, 2], absDelta: new Float32Array(3) }])).toThrow(
      ModelError,
    );
  });

  it('refuses non-finite weight changes (diverged unlearning), naming the layer and element', () => {
    const layer = { layerName: 'd', kind: 'dense' as const, shape: [2, 2] };
    expect(() => new NwcScores([{ ...layer, absDelta: Float32Array.from([0.1, Infinity, 0, 0]) }])).toThrow(
      /NWC layer 'd': the weight change at element 1 is Infinity; unlearning diverged/,
    );
    expect(() => new NwcScores([{ ...layer, absDelta: Float32Array.from([0.1, 0.2, 0, NaN]) }])).toThrow(ModelError);
  });

  it('capture/dispose and nwcScores leak nothing; dispose is idempotent', async () => {
    await expectNoLeak(() => {
      const snap = WeightSnapshot.capture(model, 'conv+dense');
      nwcScores(before, model);
      nwcScores(before, snap);
      snap.dispose();
      snap.dispose();
    });
    const snap = WeightSnapshot.capture(model);
    snap.dispose();
    expect(snap.isDisposed).toBe(true);
    expect(() => snap.kernels).toThrow(ModelError);
  });
});
