import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, ModelError } from '../../src/errors';
import { ActivenessMonitor, activenessMonitor } from '../../src/hooks/activeness_monitor';
import { expectNoLeak } from '../helpers/leak';

// Loss L = mean_b sum_j yTrue[b,j] * yPred[b,j] on a linear Dense layer yPred = x W + c, so with batch size 1
// dL/dW[i,j] = x_i * y_j, whatever W is. Neuron j's incoming-weight gradient L1 norm is |y_j| * sum_i |x_i|.
//   sample 1: x = [1, 2],  y = [1, 0]   -> grad [[1, 0], [2, 0]]        -> L1 per neuron [3, 0]
//   sample 2: x = [3, -1], y = [0.5, 1] -> grad [[1.5, 3], [-0.5, -1]]  -> L1 per neuron [2, 4]
//   mean [2.5, 2]; population variance [0.25, 4]
const linearLoss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.mean(tf.sum(tf.mul(yTrue, yPred), -1)));
const XS = [
  [1, 2],
  [3, -1],
];
const YS = [
  [1, 0],
  [0.5, 1],
];

async function run(
  monitor: ActivenessMonitor,
  opts: { epochs?: number; metrics?: boolean; hidden?: boolean } = {},
): Promise<tf.Optimizer> {
  const layers = opts.hidden
    ? [tfl.layers.dense({ units: 3, inputShape: [2], name: 'h' }), tfl.layers.dense({ units: 2, name: 'd' })]
    : [tfl.layers.dense({ units: 2, inputShape: [2], name: 'd' })];
  const m = tfl.sequential({ layers });
  const opt = tf.train.sgd(0.1);
  const x = tf.tensor2d(XS);
  const y = tf.tensor2d(YS);
  try {
    m.compile({ optimizer: opt, loss: linearLoss, ...(opts.metrics === true ? { metrics: ['acc'] } : {}) });
    await m.fit(x, y, { epochs: opts.epochs ?? 1, batchSize: 1, shuffle: false, verbose: 0, callbacks: [monitor] });
    return opt;
  } finally {
    tf.dispose([x, y]);
    opt.dispose();
    m.dispose();
  }
}

describe('ActivenessMonitor', () => {
  it('records per-neuron mean and variance of the per-batch gradient L1 norm (hand-derived)', async () => {
    const monitor = activenessMonitor({ layers: ['d'] });
    await run(monitor, { epochs: 2 });
    expect(monitor.history).toHaveLength(2);
    for (const [e, rec] of monitor.history.entries()) {
      expect(rec.epoch).toBe(e);
      expect(rec.batches).toBe(2);
      expect(rec.layers).toHaveLength(1);
      const d = rec.layers[0];
      expect(d?.layerName).toBe('d');
      expect(Array.from(d?.mean ?? []).map((v) => +v.toFixed(5))).toEqual([2.5, 2]);
      expect(Array.from(d?.variance ?? []).map((v) => +v.toFixed(5))).toEqual([0.25, 4]);
    }
  });

  it("'auto' watches hidden Dense layers only", async () => {
    const monitor = new ActivenessMonitor();
    await run(monitor, { hidden: true });
    expect(monitor.history[0]?.layers.map((l) => [l.layerName, l.mean.length])).toEqual([['h', 3]]);
  });

  it('restores the optimizer method at onTrainEnd, and on dispose() (for a fit that throws)', async () => {
    const monitor = new ActivenessMonitor({ layers: ['d'] });
    const opt = await run(monitor);
    expect(Object.prototype.hasOwnProperty.call(opt, 'applyGradients')).toBe(false);

    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [2], name: 'd' })] });
    const opt2 = tf.train.sgd(0.1);
    try {
      m.compile({ optimizer: opt2, loss: linearLoss });
      const original = opt2.applyGradients;
      monitor.setModel(m);
      await monitor.onTrainBegin();
      expect(opt2.applyGradients).not.toBe(original);
      monitor.dispose();
      monitor.dispose();
      expect(opt2.applyGradients).toBe(original);
    } finally {
      opt2.dispose();
      m.dispose();
    }
  });

  it('needs a compiled model and valid layers', async () => {
    expect(() => new ActivenessMonitor({ layers: [] })).toThrow(ConfigError);
    expect(() => new ActivenessMonitor({ layers: 'dense' as never })).toThrow(ConfigError);
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [2], name: 'd' })] });
    try {
      const monitor = new ActivenessMonitor({ layers: ['d'] });
      monitor.setModel(m);
      await expect(monitor.onTrainBegin()).rejects.toThrow(ModelError);
    } finally {
      m.dispose();
    }
  });

  it('leaks nothing through fit with metrics', async () => {
    await expectNoLeak(() => run(new ActivenessMonitor({ layers: ['d'] }), { epochs: 2, metrics: true }));
  });
});
