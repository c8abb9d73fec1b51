import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { badNets } from '../../src/attacks/badnets';
import type { ImageSet } from '../../src/data/image_set';
import { der } from '../../src/metrics/der';
import { evaluate } from '../../src/metrics/evaluate';
import { expectNoLeak } from '../helpers/leak';

/** Predicts class 1 when the bottom-right pixel of a 2x2 image is bright, else class 0. */
function brightCornerModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [2, 2, 1] }));
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  m.layers[1]?.setWeights([tf.tensor2d([0, 0, 0, 0, 0, 0, 0, 10], [4, 2]), tf.tensor1d([0, -5])]);
  return m;
}

// img0 dark, label 0 -> 0 (right); img1 corner lit, label 1 -> 1 (right); img2 dark, label 1 -> 0 (wrong);
// img3 corner lit, label 0 -> 1 (wrong). ACC = 2/4.
const test: ImageSet = {
  images: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255]),
  labels: Uint8Array.from([0, 1, 1, 0]),
  count: 4,
  height: 2,
  width: 2,
  channels: 1,
  numClasses: 2,
};

describe('metrics (BackdoorBench conventions)', () => {
  const model = brightCornerModel();
  afterAll(() => model.dispose());

  it('ACC, and ASR/RA on stamped non-target images', async () => {
    // target 1, a top-left patch (no effect on this model): non-target images are img0 and img3 (label 0);
    // stamped img0 -> 0 = its true label (RA), stamped img3 -> 1 = target (ASR). ASR = RA = 1/2.
    const tl = await evaluate(model, test, badNets({ patchSize: 1, position: 'tl', target: 1 }));
    expect(tl).toEqual({ acc: 0.5, asr: 0.5, ra: 0.5 });
    // a bottom-right patch lights the corner: both stamped images go to the target. ASR 1, RA 0.
    expect(await evaluate(model, test, badNets({ patchSize: 1, position: 'br', target: 1 }))).toEqual({ acc: 0.5, asr: 1, ra: 0 });
    const plain = await evaluate(model, test);
    expect(plain.acc).toBe(0.5);
    expect(plain.asr).toBeNaN();
  });

  it('evaluate leaks nothing', async () => {
    await expectNoLeak(() => evaluate(model, test, badNets({ patchSize: 1, target: 1 }), { batchSize: 3 }));
  });

  it('DER as a fraction: 0.5 is no change', () => {
    expect(der({ acc: 0.9, asr: 1 }, { acc: 0.87, asr: 0.03 })).toBeCloseTo((0.97 - 0.03 + 1) / 2, 12);
    expect(der({ acc: 0.9, asr: 0.5 }, { acc: 0.9, asr: 0.5 })).toBe(0.5);
    expect(der({ acc: 0.8, asr: 0.1 }, { acc: 0.85, asr: 0.2 })).toBe(0.5); // gains are not rewarded, losses floor at 0
  });
});
