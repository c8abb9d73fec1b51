import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { badNets } from '../../src/attacks/badnets';
import type { ImageSet } from '../../src/data/image_set';
import { der } from '../../src/metrics/der';
import { evaluate, predictLabels } from '../../src/metrics/evaluate';
import { expectNoLeak } from '../helpers/leak';

/** Predicts class 1 when the bottom-right pixel of a 2x2 image is bright, else class 0. */
function brightCornerModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [2, 2, 1] }));
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  // Only the bottom-right pixel (input 3) feeds class 1: logits [0, 10 * p3 - 5].
  tf.tidy(() => m.layers[1]?.setWeights([tf.tensor2d([0, 0, 0, 0, 0, 0, 0, 10], [4, 2]), tf.tensor1d([0, -5])]));
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

  it('predictLabels: argmax per image, in order, across batch boundaries', async () => {
    // dark -> 0, corner lit -> 1 (see brightCornerModel); batch size 3 splits the 4 images 3 + 1.
    expect(Array.from(await predictLabels(model, test, { batchSize: 3 }))).toEqual([0, 1, 0, 1]);
    // range {-1, 1}: pixel 0 -> -1 gives logits [0, -15] for the corner pixel -> still 0; pixel 255 -> 1 -> [0, 5] -> 1.
    expect(Array.from(await predictLabels(model, test, { range: { min: -1, max: 1 } }))).toEqual([0, 1, 0, 1]);
  });

  it('with 3 classes, a stamped image predicted neither target nor true class counts in neither ASR nor RA', async () => {
    // 2x2 images, pixels p0..p3 in {0, 1}: logits [0.5, p1, 2 * p3], so p3 lit -> 2, else p1 lit -> 1, else 0.
    const m = tfl.sequential();
    m.add(tfl.layers.flatten({ inputShape: [2, 2, 1] }));
    m.add(tfl.layers.dense({ units: 3 }));
    tf.tidy(() => m.layers[1]?.setWeights([tf.tensor2d([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2], [4, 3]), tf.tensor1d([0.5, 0, 0])]));
    // (p0 p1 p2 p3) label -> clean prediction; stamped (1-px patch top-right lights p1, target 1) -> prediction
    // a (0 0 0 0) 0 -> 0 right; stamped -> 1 = target (ASR)
    // b (0 0 0 1) 2 -> 2 right; stamped -> 2 = true (RA)
    // c (0 0 0 1) 0 -> 2 wrong; stamped -> 2: neither
    // d (0 1 0 0) 1 -> 1 right; label = target: left out of ASR/RA
    // e (0 0 0 0) 2 -> 0 wrong; stamped -> 1 = target (ASR)
    // ACC = 3/5; over a, b, c, e: ASR = 2/4, RA = 1/4.
    const three: ImageSet = {
      images: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0, 0, 0, 0, 0, 0]),
      labels: Uint8Array.from([0, 2, 0, 1, 2]),
      count: 5,
      height: 2,
      width: 2,
      channels: 1,
      numClasses: 3,
    };
    expect(await evaluate(m, three, badNets({ patchSize: 1, position: 'tr', target: 1 }), { batchSize: 2 })).toEqual({ acc: 0.6, asr: 0.5, ra: 0.25 });
    m.dispose();
  });

  it('rejects a batch size that is not a positive integer', async () => {
    await expect(predictLabels(model, test, { batchSize: 0 })).rejects.toThrow(/batchSize must be an integer in \[1, Infinity\]; received 0/);
  });

  it('evaluate leaks nothing', async () => {
    await expectNoLeak(() => evaluate(model, test, badNets({ patchSize: 1, target: 1 }), { batchSize: 3 }));
  });

  it('DER as a fraction: 0.5 is no change', () => {
    // (max(0, 1 - 0.03) - max(0, 0.9 - 0.87) + 1) / 2 = (0.97 - 0.03 + 1) / 2 = 0.97
    expect(der({ acc: 0.9, asr: 1 }, { acc: 0.87, asr: 0.03 })).toBeCloseTo(0.97, 12);
    expect(der({ acc: 0.9, asr: 1 }, { acc: 0.9, asr: 0 })).toBe(1);
    expect(der({ acc: 0.9, asr: 1 }, { acc: 0.1, asr: 1 })).toBeCloseTo(0.1, 12); // (0 - 0.8 + 1) / 2
    expect(der({ acc: 0.9, asr: 0.5 }, { acc: 0.9, asr: 0.5 })).toBe(0.5);
    expect(der({ acc: 0.8, asr: 0.1 }, { acc: 0.85, asr: 0.2 })).toBe(0.5); // gains are not rewarded, losses floor at 0
  });
});
