import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { applyReinit, NwcReinit, nwcReinit, reinitMask } from '../../src/callbacks/nwc_reinit';
import { ConfigError, ModelError } from '../../src/errors';
import { NwcScores, nwcScores } from '../../src/hooks/nwc';
import { weightSnapshot } from '../../src/hooks/weight_snapshot';
import { crossEntropyLoss } from '../../src/losses/cross_entropy';
import { expectNoLeak } from '../helpers/leak';

// Dense kernel 'h' [3 inputs, 4 units]; element i = row*4 + unit, so unit = i % 4.
//   unit 0: idx 0,4,8  = .5, .25, .125     -> .875
//   unit 1: idx 1,5,9  = 0, 0, .0625       -> .0625
//   unit 2: idx 2,6,10 = .75, .0625, .03125 -> .84375
//   unit 3: idx 3,7,11 = .03125, .03125, 0 -> .0625 (ties unit 1; unit 1 ranks first)
const ABS_DELTA = [0.5, 0, 0.75, 0.03125, 0.25, 0, 0.0625, 0.03125, 0.125, 0.0625, 0.03125, 0];
const scores = (): NwcScores =>
  new NwcScores([{ layerName: 'h', kind: 'dense', shape: [3, 4], absDelta: Float32Array.from(ABS_DELTA) }]);
const ones = (m: Uint8Array | undefined): number[] => Array.from(m ?? []).flatMap((v, i) => (v === 1 ? [i] : []));

describe('reinitMask', () => {
  it('ranking is 0, 2, 1, 3 (tie between units 1 and 3 goes to the lower index)', () => {
    expect(scores().ranking.map((r) => r.neuron)).toEqual([0, 2, 1, 3]);
  });

  it('worked example: n = 0.5 selects units 0 and 2; m = 0.5 of their 6 pooled weights -> the 3 largest', () => {
    const m = reinitMask(scores(), 0.5, 0.5);
    expect(m.neurons).toBe(2);
    expect(m.weights).toBe(3);
    // pooled |delta|: .5 .25 .125 (unit 0), .75 .0625 .03125 (unit 2) -> largest three at idx 2, 0, 4
    expect(ones(m.layers.get('h'))).toEqual([0, 2, 4]);
  });

  it('breaks |delta| ties by pool position (ranking order, then kernel order)', () => {
    // n = .75 -> units 0, 2, 1 (pool of 9); m = .56 -> floor(5.04) = 5: .75, .5, .25, .125, then the first .0625
    // in the pool, idx 6 (unit 2), ahead of idx 9 (unit 1)
    const m = reinitMask(scores(), 0.75, 0.56);
    expect(m.neurons).toBe(3);
    expect(ones(m.layers.get('h'))).toEqual([0, 2, 4, 6, 8]);
    // m = 1 takes every weight of units 0, 2, 1 (neuron tie: unit 1 beats unit 3)
    expect(ones(reinitMask(scores(), 0.75, 1).layers.get('h'))).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10]);
  });

  it('fraction 1 pools every weight; the default m = 0.7 zeroes floor(0.7 * 12) = 8 of them', () => {
    const all = reinitMask(scores(), 1, 1);
    expect(all.neurons).toBe(4);
    expect(all.weights).toBe(12);
    expect(ones(all.layers.get('h'))).toHaveLength(12);
    const m = reinitMask(scores(), 1);
    expect(m.weightFraction).toBe(0.7);
    expect(m.weights).toBe(8);
    // top 8: .75(2) .5(0) .25(4) .125(8) .0625(6, 9) .03125 at pool positions of idx 10 (unit 2) then 3 (unit 3)
    expect(ones(m.layers.get('h'))).toEqual([0, 2, 3, 4, 6, 8, 9, 10]);
  });

  it('a fraction that selects 0 neurons gives an empty mask', () => {
    for (const f of [0, 0.1, 0.24]) {
      const m = reinitMask(scores(), f);
      expect(m).toMatchObject({ neurons: 0, weights: 0 });
      expect(m.layers.size).toBe(0);
    }
  });

  it('counts with floor, guarded against float error (0.29 of 100 neurons is 29)', () => {
    const s = new NwcScores([
      { layerName: 'd', kind: 'dense', shape: [1, 100], absDelta: Float32Array.from({ length: 100 }, (_, i) => i) },
    ]);
    expect(reinitMask(s, 0.29).neurons).toBe(29);
  });

  it('rejects fractions outside [0,1] with a ConfigError', () => {
    expect(() => reinitMask(scores(), 1.5)).toThrow(ConfigError);
    expect(() => reinitMask(scores(), Number.NaN)).toThrow(ConfigError);
    expect(() => reinitMask(scores(), 0.5, -0.1)).toThrow(ConfigError);
  });
});

/** h: Dense 4 on 3 inputs (kernel 1..12, bias 1..4, linear) -> out: Dense 2 (logits). */
function model(): tfl.Sequential {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ units: 4, inputShape: [3], name: 'h' }), tfl.layers.dense({ units: 2, name: 'out' })],
  });
  const k = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4]);
  const b = tf.tensor1d([1, 2, 3, 4]);
  m.getLayer('h').setWeights([k, b]);
  const ok = tf.tensor2d([0.5, -0.5, 0.25, 0.75, -1, 1, 0.5, 0.5], [4, 2]);
  const ob = tf.tensor1d([0.1, -0.1]);
  m.getLayer('out').setWeights([ok, ob]);
  tf.dispose([k, b, ok, ob]);
  return m;
}
const kernelOf = (m: tfl.LayersModel, name: string): number[] =>
  Array.from(m.getLayer(name).getWeights()[0]?.dataSync() ?? []);
const biasOf = (m: tfl.LayersModel, name: string): number[] => Array.from(m.getLayer(name).getWeights()[1]?.dataSync() ?? []);

describe('applyReinit', () => {
  it('zeroes exactly the masked kernel elements; biases and other layers stay', () => {
    const m = model();
    try {
      const outBefore = kernelOf(m, 'out');
      expect(applyReinit(m, reinitMask(scores(), 0.5, 0.5))).toEqual({ neurons: 2, weights: 3 });
      expect(kernelOf(m, 'h')).toEqual([0, 2, 0, 4, 0, 6, 7, 8, 9, 10, 11, 12]);
      expect(biasOf(m, 'h')).toEqual([1, 2, 3, 4]);
      expect(kernelOf(m, 'out')).toEqual(outBefore);
      expect(applyReinit(m, reinitMask(scores(), 0))).toEqual({ neurons: 0, weights: 0 });
      expect(kernelOf(m, 'h')).toEqual([0, 2, 0, 4, 0, 6, 7, 8, 9, 10, 11, 12]);
    } finally {
      m.dispose();
    }
  });

  it('conv + dense, scores from a snapshot pair: exactly the chosen flat indices become +0, every other bit stays', () => {
    // 'c': Conv2D 2x2, 2 filters on 3x3x1 (kernel [2,2,1,2], 8 elements, neuron = i % 2) -> flatten (8) ->
    // 'hid': Dense 2 (kernel [8,2], 16 elements, neuron = i % 2) -> 'out': Dense 2 (output layer, never scored).
    // All values are multiples of 1/128, so before + delta and |after - before| are exact in float32.
    const C0 = [0.40625, -0.296875, -0.3125, 0.171875, 0.6171875, -0.5, 0.0859375, -0.7265625];
    const H0 = Array.from({ length: 16 }, (_, i) => (((i * 37) % 61) - 30) / 64);
    // |change| per element. c: neuron 0 (idx 0,2,4,6) .5+.25+.125+0 = .875; neuron 1 (idx 5) .0625.
    // hid: neuron 0 (idx 0,2,4,6,8) .5+.25+.125+.0625+.0625 = 1; neuron 1 (idx 1,3) .25+.25 = .5.
    const DC = [0.5, 0, 0.25, 0, 0.125, 0.0625, 0, 0];
    const DH = [0.5, 0.25, 0.25, 0.25, 0.125, 0, 0.0625, 0, 0.0625, 0, 0, 0, 0, 0, 0, 0];
    // Signs alternate, so nwcScores must take |after - before|.
    const moved = (w: number[], d: number[]): number[] => w.map((v, i) => v + (i % 3 === 0 ? -1 : 1) * (d[i] as number));
    const net = (c: number[], h: number[]): tfl.Sequential => {
      const m = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [3, 3, 1], filters: 2, kernelSize: 2, name: 'c' }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2, name: 'hid' }),
          tfl.layers.dense({ units: 2, name: 'out' }),
        ],
      });
      const w = [
        tf.tensor4d(c, [2, 2, 1, 2]),
        tf.tensor1d([0.0390625, -0.0234375]),
        tf.tensor2d(h, [8, 2]),
        tf.tensor1d([0.015625, -0.046875]),
        tf.tensor2d([0.25, -0.375, 0.5625, -0.125], [2, 2]),
        tf.tensor1d([0.0078125, -0.0703125]),
      ];
      m.setWeights(w);
      tf.dispose(w);
      return m;
    };
    const bits = (m: tfl.LayersModel): number[][] =>
      m.layers.flatMap((l) => l.getWeights().map((w) => Array.from(new Uint32Array(Float32Array.from(w.dataSync()).buffer))));
    const m = net(C0, H0);
    const after = net(moved(C0, DC), moved(H0, DH));
    const snap = weightSnapshot(m, 'conv+dense');
    try {
      const s = nwcScores(snap, after);
      expect(s.ranking).toEqual([
        { layer: 'hid', neuron: 0, score: 1 },
        { layer: 'c', neuron: 0, score: 0.875 },
        { layer: 'hid', neuron: 1, score: 0.5 },
        { layer: 'c', neuron: 1, score: 0.0625 },
      ]);
      // n = 0.5 -> floor(0.5 * 4) = 2 neurons: hid 0, c 0. Pool in ranking order, then kernel order:
      //   hid idx 0,2,4,6,8,10,12,14 = .5 .25 .125 .0625 .0625 0 0 0;  c idx 0,2,4,6 = .5 .25 .125 0  (12 weights)
      // m = 0.6 -> floor(7.2) = 7 largest: .5 (hid 0), .5 (c 0), .25 (hid 2), .25 (c 2), .125 (hid 4), .125 (c 4),
      //   then the first .0625 in the pool, hid 6 (ahead of hid 8). Not hid 1/3 (.25, unselected neuron), not c 5.
      const mask = reinitMask(s, 0.5, 0.6);
      expect(mask).toMatchObject({ neurons: 2, weights: 7 });
      expect(ones(mask.layers.get('c'))).toEqual([0, 2, 4]);
      expect(ones(mask.layers.get('hid'))).toEqual([0, 2, 4, 6]);
      const before = bits(m); // c kernel, c bias, hid kernel, hid bias, out kernel, out bias
      const expected = before.map((w) => [...w]);
      for (const i of [0, 2, 4]) (expected[0] as number[])[i] = 0; // the bit pattern of +0
      for (const i of [0, 2, 4, 6]) (expected[2] as number[])[i] = 0;
      expect(applyReinit(m, mask)).toEqual({ neurons: 2, weights: 7 });
      expect(bits(m)).toEqual(expected);
      // The zeroed elements were non-zero, some negative (so +0, not -0, is checked): C0[2] = -0.3125, H0[0,2,4] < 0.
      expect([C0[0], C0[2], C0[4], H0[0], H0[2], H0[4], H0[6]]).toEqual([0.40625, -0.3125, 0.6171875, -0.46875, -0.265625, -0.0625, 0.140625]);
    } finally {
      snap.dispose();
      m.dispose();
      after.dispose();
    }
  });

  it('throws a ModelError for a missing layer or a kernel of another size', () => {
    const wrongSize = tfl.sequential({ layers: [tfl.layers.dense({ units: 5, inputShape: [3], name: 'h' })] });
    const noLayer = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [3], name: 'other' })] });
    try {
      const mask = reinitMask(scores(), 0.5, 0.5);
      expect(() => applyReinit(wrongSize, mask)).toThrow(ModelError);
      expect(() => applyReinit(noLayer, mask)).toThrow(/no layer named 'h'/);
    } finally {
      wrongSize.dispose();
      noLayer.dispose();
    }
  });

  it('leaks nothing', async () => {
    const m = model();
    try {
      const mask = reinitMask(scores(), 0.5, 0.5);
      await expectNoLeak(() => applyReinit(m, mask));
    } finally {
      m.dispose();
    }
  });
});

describe('NwcReinit callback', () => {
  const xs = [
    [1, 0.5, -1],
    [0.5, -1, 1],
    [-1, 1, 0.5],
    [1, 1, 1],
  ];
  const ys = [
    [1, 0],
    [0, 1],
    [1, 0],
    [0, 1],
  ];
  const MASKED = [0, 2, 4];

  async function train(keepZero: boolean, lr: number, metrics: boolean): Promise<{ h: number[]; bias: number[] }> {
    const m = model();
    const opt = tf.train.sgd(lr);
    const x = tf.tensor2d(xs);
    const y = tf.tensor2d(ys);
    try {
      m.compile({ optimizer: opt, loss: crossEntropyLoss('logits'), ...(metrics ? { metrics: ['acc'] } : {}) });
      const cb = nwcReinit({ mask: reinitMask(scores(), 0.5, 0.5), keepZero });
      await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: [cb] });
      cb.dispose();
      return { h: kernelOf(m, 'h'), bias: biasOf(m, 'h') };
    } finally {
      tf.dispose([x, y]);
      opt.dispose();
      m.dispose();
    }
  }

  it('applies the mask to the trained model at onTrainBegin', async () => {
    const { h } = await train(false, 0, false); // lr 0: only the reinit changes weights
    expect(h).toEqual([0, 2, 0, 4, 0, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('without keepZero fine-tuning moves the zeroed weights again; with keepZero they stay 0', async () => {
    const free = await train(false, 0.1, false);
    expect(MASKED.every((i) => free.h[i] !== 0)).toBe(true);
    const kept = await train(true, 0.1, false);
    expect(MASKED.map((i) => kept.h[i])).toEqual([0, 0, 0]);
    // the rest did train, biases included
    expect(kept.h[1]).not.toBe(2);
    expect(kept.bias).not.toEqual([1, 2, 3, 4]);
  });

  /** Reads the masked elements of 'h' after NwcReinit's onTrainBegin and after each of its onBatchEnd calls. */
  class Probe extends tfl.Callback {
    begin: number[] = [];
    batches: number[][] = [];
    private masked(): number[] {
      const k = kernelOf(this.model, 'h');
      return MASKED.map((i) => k[i] as number);
    }
    override async onTrainBegin(): Promise<void> {
      this.begin = this.masked();
    }
    override async onBatchEnd(): Promise<void> {
      this.batches.push(this.masked());
    }
  }

  /** Two fits of one epoch (2 batches of 2) with the same callback instance; `between` runs after the first. */
  async function twoFits(cb: NwcReinit, between: (m: tfl.LayersModel) => void): Promise<{ probes: Probe[]; h: number[][] }> {
    const m = model();
    const opt = tf.train.sgd(0.1);
    const x = tf.tensor2d(xs);
    const y = tf.tensor2d(ys);
    try {
      m.compile({ optimizer: opt, loss: crossEntropyLoss('logits') });
      const probes = [new Probe(), new Probe()];
      const h: number[][] = [];
      for (const probe of probes) {
        await m.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0, callbacks: [cb, probe] });
        h.push(kernelOf(m, 'h'));
        if (probe === probes[0]) between(m);
      }
      return { probes, h };
    } finally {
      cb.dispose();
      tf.dispose([x, y]);
      opt.dispose();
      m.dispose();
    }
  }

  it('applies the mask once per instance: a second fit with the same instance does not zero again', async () => {
    const cb = nwcReinit({ mask: reinitMask(scores(), 0.5, 0.5) });
    expect(cb.applied).toBe(false);
    const { probes, h } = await twoFits(cb, () => undefined);
    expect(cb.applied).toBe(true);
    expect(probes[0]?.begin).toEqual([0, 0, 0]); // zeroed at the first fit's begin (they were 1, 3, 5)
    const after1 = MASKED.map((i) => h[0]?.[i]);
    expect(after1.every((v) => v !== 0)).toBe(true); // and regrew during it (no keepZero)
    expect(probes[1]?.begin).toEqual(after1); // the second fit starts from them: not zeroed again
    expect(MASKED.every((i) => h[1]?.[i] !== 0)).toBe(true);
  });

  it('with keepZero the mask is applied once at train begin, yet kept zero after every batch of every fit', async () => {
    const cb = nwcReinit({ mask: reinitMask(scores(), 0.5, 0.5), keepZero: true });
    // Between the fits, put the original kernel 1..12 back: masked elements 0, 2, 4 hold 1, 3, 5 again.
    const { probes, h } = await twoFits(cb, (m) => {
      const layer = m.getLayer('h');
      const k = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4]);
      layer.setWeights([k, layer.getWeights()[1] as tf.Tensor]);
      k.dispose();
    });
    expect(probes[0]?.begin).toEqual([0, 0, 0]);
    expect(probes[0]?.batches).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(probes[1]?.begin).toEqual([1, 3, 5]); // not zeroed at the second fit's begin
    expect(probes[1]?.batches).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]); // but after each of its batches
    expect(MASKED.map((i) => h[1]?.[i])).toEqual([0, 0, 0]);
    expect(h[1]?.[1]).not.toBe(2); // the unmasked weights trained
  });

  it('validates its args', () => {
    expect(() => new NwcReinit({} as never)).toThrow(ConfigError);
    expect(() => new NwcReinit({ mask: reinitMask(scores(), 0.5), keepZero: 1 as never })).toThrow(ConfigError);
  });

  it('leaks nothing through fit with metrics, with and without keepZero', async () => {
    await expectNoLeak(() => train(true, 0.1, true));
    await expectNoLeak(() => train(false, 0.1, true));
  });
});
