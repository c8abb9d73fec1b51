import * as tfl from '@tensorflow/tfjs-layers';

import { recalibrateBatchNorm } from '../../src/models/recalibrate_batch_norm';
import { expectNoLeak } from '../helpers/leak';
import { bnModel, threeImages } from '../helpers/bn_fixture';

/** The layer's weights as plain arrays: for BatchNormalization [gamma, beta, movingMean, movingVariance]. */
const values = (m: tfl.LayersModel, layer: string): number[][] => m.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));

describe('recalibrateBatchNorm', () => {
  it('sets moving mean and variance to the image-weighted mean of the batch statistics, whatever the momentum', () => {
    const model = bnModel();
    // Batches of 2: {img0, img1} has 8 values 0,0,0,0, 0,.2,.4,.6: mean .15, variance .07 - .0225 = .0475;
    // {img2} has four 1s: mean 1, variance 0. Weighted by images: mean (2*.15 + 1)/3 = .43333,
    // variance (2*.0475 + 0)/3 = .031667. With momentum .99 a plain training pass would move them by 1% a batch.
    const n = recalibrateBatchNorm(model, threeImages, { batchSize: 2 });
    expect(n).toBe(1);
    const [gamma, beta, movingMean, movingVar] = values(model, 'bn');
    expect(movingMean?.[0]).toBeCloseTo(1.3 / 3, 6);
    expect(movingVar?.[0]).toBeCloseTo(0.095 / 3, 6);
    expect(gamma).toEqual([1]);
    expect(beta).toEqual([0]);
    // the layer's momentum is what it was
    expect((model.getLayer('bn') as unknown as { momentum: number }).momentum).toBe(0.99);
    model.dispose();
  });

  it('one batch holding every image gives the statistics of all 12 values', () => {
    const model = bnModel();
    recalibrateBatchNorm(model, threeImages, { batchSize: 256 });
    // All 12 values: sum = 1.2 + 4 = 5.2, mean .43333; sum of squares = .56 + 4 = 4.56, variance 4.56/12 - .43333^2 = .18778.
    const [, , movingMean, movingVar] = values(model, 'bn');
    expect(movingMean?.[0]).toBeCloseTo(5.2 / 12, 6);
    expect(movingVar?.[0]).toBeCloseTo(4.56 / 12 - (5.2 / 12) ** 2, 5);
    model.dispose();
  });

  it('changes nothing else and leaks nothing; a model without BatchNorm is left alone', async () => {
    const model = bnModel();
    const before = values(model, 'out');
    recalibrateBatchNorm(model, threeImages, { batchSize: 2 });
    expect(values(model, 'out')).toEqual(before); // dense kernel and bias
    await expectNoLeak(() => recalibrateBatchNorm(model, threeImages, { batchSize: 2 }));
    model.dispose();

    const plain = tfl.sequential();
    plain.add(tfl.layers.flatten({ inputShape: [2, 2, 1] }));
    plain.add(tfl.layers.dense({ units: 2 }));
    const w = plain.getWeights().map((t) => Array.from(t.dataSync()));
    expect(recalibrateBatchNorm(plain, threeImages)).toBe(0);
    expect(plain.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(w);
    plain.dispose();
  });

  it('refuses a bad batch size by name', () => {
    const model = bnModel();
    expect(() => recalibrateBatchNorm(model, threeImages, { batchSize: 0 })).toThrow(/batchSize/);
    model.dispose();
  });
});
