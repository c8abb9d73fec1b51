import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UnlearningStop, unlearningStop } from '../../src/callbacks/unlearning_stop';
import { ConfigError, DataShapeError } from '../../src/errors';
import { unlearningLoss } from '../../src/losses/unlearning_loss';
import { expectNoLeak } from '../helpers/leak';

// A linear 3-class model whose predictions we fix by hand through its kernel and bias: on one-hot inputs,
// logits = row of the kernel + bias.
function model(): tfl.Sequential {
  return tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [3], name: 'd' })] });
}
function setPredictor(m: tfl.LayersModel, kernel: number[][], bias: number[]): void {
  const k = tf.tensor2d(kernel);
  const b = tf.tensor1d(bias);
  m.getLayer('d').setWeights([k, b]);
  tf.dispose([k, b]);
}
const IDENTITY = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const SHIFT = [
  [0, 1, 0],
  [0, 0, 1],
  [1, 0, 0],
]; // predicts class c+1 mod 3
const ZERO = [
  [0, 0, 0],
  [0, 0, 0],
  [0, 0, 0],
];
const oneHot = (labels: number[]): tf.Tensor2D => tf.tensor2d(labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));

describe('UnlearningStop driven by hand', () => {
  let m: tfl.Sequential;
  let x: tf.Tensor2D;
  let y: tf.Tensor2D;
  beforeEach(() => {
    m = model();
    x = oneHot([0, 1, 2, 0]); // inputs: one-hot rows
    y = oneHot([0, 1, 2, 0]); // labels
  });
  afterEach(() => {
    tf.dispose([x, y]);
    m.dispose();
  });

  async function epoch(cb: UnlearningStop, e: number): Promise<void> {
    await cb.onEpochEnd(e);
  }

  it('stops on accuracy <= chance (1/3 by default)', async () => {
    const seen: number[][] = [];
    const cb = unlearningStop({ x, y, batchSize: 3, onEpoch: (e, acc, share) => seen.push([e, acc, share]) });
    expect(cb.targetAcc).toBeCloseTo(1 / 3, 10);
    cb.setModel(m);
    await cb.onTrainBegin();
    setPredictor(m, IDENTITY, [0, 0, 0]); // all correct; class 0 gets 2 of 4 predictions
    await epoch(cb, 0);
    expect(m.stopTraining).toBeFalsy();
    expect(cb.stopReason).toBeUndefined();
    setPredictor(m, SHIFT, [0, 0, 0]); // predictions 1,2,0,1: none correct; class 1 gets 2 of 4
    await epoch(cb, 1);
    expect(cb.history).toEqual([
      { epoch: 0, acc: 1, topShare: 0.5 },
      { epoch: 1, acc: 0, topShare: 0.5 },
    ]);
    expect(seen).toEqual([
      [0, 1, 0.5],
      [1, 0, 0.5],
    ]);
    expect(cb.stopReason).toBe('accuracy');
    expect(m.stopTraining).toBe(true);
  });

  it('stops on collapse when one class takes >= collapseShare of predictions, even above targetAcc', async () => {
    const yMajority = oneHot([0, 0, 0, 1]);
    try {
      const cb = new UnlearningStop({ x, y: yMajority, collapseShare: 0.75 });
      cb.setModel(m);
      await cb.onTrainBegin();
      setPredictor(m, ZERO, [5, 0, 0]); // every prediction is class 0: acc 3/4, share 1
      await epoch(cb, 0);
      expect(cb.history[0]).toEqual({ epoch: 0, acc: 0.75, topShare: 1 });
      expect(cb.stopReason).toBe('collapse');
      expect(m.stopTraining).toBe(true);
    } finally {
      yMajority.dispose();
    }
  });

  it('accuracy wins over collapse when both fire', async () => {
    const cb = new UnlearningStop({ x, y });
    cb.setModel(m);
    await cb.onTrainBegin();
    setPredictor(m, ZERO, [0, 0, 5]); // all class 2: acc 1/4 <= 1/3, share 1
    await epoch(cb, 0);
    expect(cb.stopReason).toBe('accuracy');
  });

  it('stops at maxEpochs; onTrainBegin resets history and reason', async () => {
    const cb = new UnlearningStop({ x, y, maxEpochs: 2 });
    cb.setModel(m);
    await cb.onTrainBegin();
    setPredictor(m, IDENTITY, [0, 0, 0]);
    await epoch(cb, 0);
    expect(cb.stopReason).toBeUndefined();
    await epoch(cb, 1);
    expect(cb.stopReason).toBe('maxEpochs');
    await cb.onTrainBegin();
    expect(cb.history).toHaveLength(0);
    expect(cb.stopReason).toBeUndefined();
  });

  it('validates its args: expected vs received', () => {
    expect(() => new UnlearningStop({ x, y, targetAcc: 2 })).toThrow(/targetAcc.*received 2/);
    expect(() => new UnlearningStop({ x, y, collapseShare: 0 })).toThrow(ConfigError);
    expect(() => new UnlearningStop({ x, y, maxEpochs: 1.5 })).toThrow(ConfigError);
    expect(() => new UnlearningStop({ x, y, batchSize: 0 })).toThrow(ConfigError);
    const short = tf.zeros([3, 3]);
    try {
      expect(() => new UnlearningStop({ x, y: short })).toThrow(DataShapeError);
    } finally {
      short.dispose();
    }
  });

  it('a check leaks nothing', async () => {
    const cb = new UnlearningStop({ x, y, batchSize: 3 });
    cb.setModel(m);
    await cb.onTrainBegin();
    await expectNoLeak(() => cb.onEpochEnd(0));
  });
});

describe('UnlearningStop in a real fit', () => {
  async function run(): Promise<UnlearningStop> {
    const m = model();
    setPredictor(m, ZERO, [5, 0, 0]); // collapsed from the start
    const x = oneHot([0, 1, 2, 0]);
    const y = oneHot([0, 0, 0, 1]);
    const opt = tf.train.sgd(1e-6);
    try {
      m.compile({ optimizer: opt, loss: unlearningLoss('logits'), metrics: ['acc'] });
      const cb = unlearningStop({ x, y, collapseShare: 0.75 });
      await m.fit(x, y, { epochs: 10, batchSize: 2, shuffle: false, verbose: 0, callbacks: [cb] });
      return cb;
    } finally {
      tf.dispose([x, y]);
      opt.dispose();
      m.dispose();
    }
  }

  it('stops fit after the first epoch when the rule fires', async () => {
    const cb = await run();
    expect(cb.history).toHaveLength(1);
    expect(cb.stopReason).toBe('collapse');
  });

  it('leaks nothing through fit with metrics', async () => {
    await expectNoLeak(() => run());
  });
});
