import * as tf from '@tensorflow/tfjs-core';
import { invertTrigger } from '../../src/hooks/invert_trigger';
import { ConfigError, DataShapeError } from '../../src/errors';
import { onePixelModel, onePixelSet } from '../helpers/one_pixel';
import { toySet } from '../defenses/toy';

describe('hooks.invertTrigger: the inversion purify runs, for a script that runs the stages itself', () => {
  it('finds the one-pixel backdoor and returns the clean set plus 20% of it stamped, under their own labels', () => {
    const model = onePixelModel();
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    const clean = onePixelSet(64, 3); // labels 0, 1, 0, 1, ...
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const { maskL1, smallest, tuneSet } = invertTrigger(model, clean, { batchSize: 32, steps: 200, onClass: (c) => seen.push(c) });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([0, 1]);
    expect(maskL1).toHaveLength(2);
    expect(smallest?.target).toBe(1);
    // round(0.2 * 64) = 13 images of class 0 stamped after the 64 clean ones, labels kept.
    expect(tuneSet.count).toBe(77);
    expect(Array.from(tuneSet.images.subarray(0, 64 * 16))).toEqual(Array.from(clean.images));
    expect(Array.from(tuneSet.labels.subarray(64))).toEqual(new Array(13).fill(0));
    // Class-0 images have pixel (0, 0) = 0, so stamped it is 255 * mask * pattern there; the mask sent 95% of a batch
    // to class 1, which needs pixel (0, 0) > 1/3 of 255 (logit 30 * p - 10 > 0): at least 85 once rounded.
    for (let k = 64; k < 77; k++) expect(tuneSet.images[k * 16]).toBeGreaterThanOrEqual(85);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(weights);
    model.dispose();
  });

  it('refuses bad settings and a clean set the model cannot read, naming the problem', () => {
    const model = onePixelModel();
    const clean = onePixelSet(8, 1);
    expect(() => invertTrigger(model, clean, { share: 0 })).toThrow(ConfigError);
    expect(() => invertTrigger(model, clean, { share: 0 })).toThrow(/inversion.share/);
    expect(() => invertTrigger(model, clean, { steps: 2.5 })).toThrow(/inversion.steps/);
    expect(() => invertTrigger(model, clean, { seed: -1 })).toThrow(/seed must be a non-negative integer/);
    expect(() => invertTrigger(model, toySet(8, 1))).toThrow(DataShapeError);
    model.dispose();
  });
});
