import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { batchNormRecalibration } from '../../src/callbacks/batch_norm_recalibration';
import { toTensors } from '../../src/data/tensors';
import { ConfigError, DataShapeError } from '../../src/errors';
import { bnModel, threeImages } from '../helpers/bn_fixture';

const movingMean = (m: tfl.LayersModel): number => m.getLayer('bn').getWeights()[2]?.dataSync()[0] as number;

describe('BatchNormRecalibration: BatchNorm statistics of the clean set when fit ends', () => {
  it("replaces what the fit's momentum left with the set's statistics", async () => {
    const m = bnModel();
    const sgd = tf.train.sgd(0.01);
    m.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    const { x, y } = toTensors(threeImages);
    const callback = batchNormRecalibration({ set: threeImages, batchSize: 2, everyEpoch: false });
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, callbacks: [callback] });
    tf.dispose([x, y]);
    sgd.dispose();
    // One pass in batches of 2, weighted by images: {img0, img1} mean .15, variance .0475; {img2} mean 1, variance 0.
    // Mean (2 * .15 + 1) / 3, variance 2 * .0475 / 3. One momentum-0.99 step alone would have left the mean at .0043.
    const [, , movingMean, movingVar] = m.getLayer('bn').getWeights().map((w) => w.dataSync()[0] as number);
    expect(movingMean).toBeCloseTo(1.3 / 3, 6);
    expect(movingVar).toBeCloseTo(0.095 / 3, 6);
    expect(callback.recalibrated).toBe(1);
    m.dispose();
  });

  it('with everyEpoch, re-estimates before the last batch of each epoch, so that validation sees current statistics', async () => {
    /** Moving mean of the BN layer at each epoch end (recorded after the recalibration callback has run). */
    const run = async (everyEpoch: boolean): Promise<{ atEpochEnd: number[]; final: number }> => {
      const m = bnModel();
      const sgd = tf.train.sgd(0); // weights stay put: only the moving statistics move
      m.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
      const { x, y } = toTensors(threeImages);
      const atEpochEnd: number[] = [];
      const record = new tfl.CustomCallback({ onEpochEnd: async () => void atEpochEnd.push(movingMean(m)) });
      await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: [batchNormRecalibration({ set: threeImages, batchSize: 2, everyEpoch }), record] });
      tf.dispose([x, y]);
      sgd.dispose();
      const final = movingMean(m);
      m.dispose();
      return { atEpochEnd, final };
    };
    // Batches {img0, img1} (mean .15) then {img2} (mean 1); each training step moves the moving mean 1% of the way.
    // everyEpoch: the set's mean 1.3/3 just before the last batch, then 1% towards 1: 1.3/3 + (1 - 1.3/3) * .01.
    const fresh = 1.3 / 3 + (1 - 1.3 / 3) * 0.01;
    const on = await run(true);
    expect(on.atEpochEnd[0]).toBeCloseTo(fresh, 6);
    expect(on.atEpochEnd[1]).toBeCloseTo(fresh, 6);
    expect(on.final).toBeCloseTo(1.3 / 3, 6);
    // Without it, from 0: .15 * .01 = .0015, then .0015 + (1 - .0015) * .01 = .0015 + .009985 = .011485 after the first epoch.
    const off = await run(false);
    expect(off.atEpochEnd[0]).toBeCloseTo(0.011485, 6);
    expect(off.final).toBeCloseTo(1.3 / 3, 6);
  });

  it('refuses a missing or malformed set, naming it', () => {
    expect(() => batchNormRecalibration({} as never)).toThrow(ConfigError);
    expect(() => batchNormRecalibration({ set: { ...threeImages, count: 4 } })).toThrow(DataShapeError);
    expect(() => batchNormRecalibration({ set: threeImages, everyEpoch: 'yes' as never })).toThrow(/everyEpoch must be a boolean/);
  });
});
