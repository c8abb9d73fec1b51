import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../src/errors';
import { AUTO_HEAD_SHIFT, HEAD_SHIFT_EPOCHS, resolvePurifyOptions } from '../../src/defenses/tsbd_options';
import { headShiftRows } from '../../src/defenses/stage_tools';
import { NwcScores } from '../../src/hooks/nwc';

/** A net whose output layer reads a hidden Dense layer: the head shift's 'auto' turns on for it. */
const mlp = (): tfl.LayersModel => {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [4], units: 3, activation: 'relu' }));
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  return m;
};

describe("resolvePurifyOptions: headShift 'auto' reads the model's head", () => {
  const linear = (): tfl.LayersModel => {
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ inputShape: [4], units: 2, activation: 'softmax' }));
    return m;
  };

  it('is 3 when a hidden Dense layer feeds the output and the trigger inversion is off; 0 with it on (the default there)', () => {
    const m = mlp();
    expect(AUTO_HEAD_SHIFT).toBe(3);
    expect(resolvePurifyOptions({ invert: false }, 2, 100, m).headShift).toBe(3);
    expect(resolvePurifyOptions({}, 2, 100, m).headShift).toBe(0);
    m.dispose();
  });

  it('is 0 when the output layer reads the input directly, and when no model is given', () => {
    const m = linear();
    expect(resolvePurifyOptions({}, 2, 100, m).headShift).toBe(0);
    expect(resolvePurifyOptions({}, 2, 100).headShift).toBe(0);
    m.dispose();
  });

  it('takes a given weight as it is, 0 included', () => {
    const m = mlp();
    expect(resolvePurifyOptions({ headShift: 0 }, 2, 100, m).headShift).toBe(0);
    expect(resolvePurifyOptions({ headShift: 1.5 }, 2, 100, m).headShift).toBe(1.5);
    m.dispose();
  });

  it('refuses a negative weight or another string, naming the option', () => {
    expect(() => resolvePurifyOptions({ headShift: -1 }, 2, 100)).toThrow(ConfigError);
    expect(() => resolvePurifyOptions({ headShift: -1 }, 2, 100)).toThrow(/headShift/);
    expect(() => resolvePurifyOptions({ headShift: 'on' as unknown as 'auto' }, 2, 100)).toThrow(/headShift must be 'auto' or a weight/);
  });
});

describe('resolvePurifyOptions: stage 2 runs longer with the head shift on', () => {

  it("is the reference's 20 epochs without the shift and 40 with it, unless epochs are given", () => {
    const m = mlp();
    expect(HEAD_SHIFT_EPOCHS).toBe(40);
    expect(resolvePurifyOptions({}, 2, 100).finetune.epochs).toBe(20);
    expect(resolvePurifyOptions({ headShift: 0 }, 2, 100, m).finetune.epochs).toBe(20);
    expect(resolvePurifyOptions({ invert: false }, 2, 100, m).finetune.epochs).toBe(40);
    expect(resolvePurifyOptions({}, 2, 100, m).finetune.epochs).toBe(20);
    expect(resolvePurifyOptions({ headShift: 1 }, 2, 100).finetune.epochs).toBe(40);
    expect(resolvePurifyOptions({ finetune: { epochs: 7 } }, 2, 100, m).finetune.epochs).toBe(7);
    m.dispose();
  });
});

describe('headShiftRows: the head rows fed by the hidden units NWC ranks highest', () => {
  /** NWC scores of `layer` (4 inputs x 3 units): absDelta row-major [4, 3], so unit j sums column j. */
  const scoresOf = (layer: string, perUnit: [number, number, number]): NwcScores =>
    new NwcScores([{ layerName: layer, kind: 'dense', shape: [4, 3], absDelta: Float32Array.from({ length: 12 }, (_, i) => (perUnit[i % 3] as number) / 4) }]);

  it('takes the top round(share * units), at least one, highest score first; share 1 is the whole head', () => {
    const m = mlp();
    const hidden = m.layers[0]?.name as string;
    const scores = scoresOf(hidden, [1, 5, 3]); // units ranked 1 (5), 2 (3), 0 (1)
    expect(headShiftRows(m, scores, 0.5)).toEqual([1, 2]); // round(1.5) = 2
    expect(headShiftRows(m, scores, 0.1)).toEqual([1]); // round(0.3) = 0, at least 1
    expect(headShiftRows(m, scores, 0.9)).toEqual([1, 2, 0]);
    expect(headShiftRows(m, scores, 1)).toBeUndefined();
    expect(headShiftRows(m, scoresOf(hidden, [2, 2, 1]), 0.6)).toEqual([0, 1]); // a tie goes to the lower index
    m.dispose();
  });

  it('refuses a model without a hidden Dense layer before the head, and scores that leave that layer out', () => {
    const m = mlp();
    expect(() => headShiftRows(m, scoresOf('elsewhere', [1, 2, 3]), 0.5)).toThrow(/ranks the units of '.+', which NWC did not score/);
    const lin = tfl.sequential({ name: 'lin' });
    lin.add(tfl.layers.dense({ inputShape: [4], units: 2, activation: 'softmax' }));
    expect(() => headShiftRows(lin, scoresOf('x', [1, 2, 3]), 0.5)).toThrow(/model 'lin' has none/);
    m.dispose();
    lin.dispose();
  });

  it('is 1 by default and must lie in (0, 1]', () => {
    expect(resolvePurifyOptions({}, 2, 100).headShiftRows).toBe(1);
    expect(resolvePurifyOptions({ headShiftRows: 0.3 }, 2, 100).headShiftRows).toBe(0.3);
    expect(() => resolvePurifyOptions({ headShiftRows: 0 }, 2, 100)).toThrow(/headShiftRows/);
    expect(() => resolvePurifyOptions({ headShiftRows: 1.5 }, 2, 100)).toThrow(/headShiftRows/);
  });

  it('fails at option time, before any unlearning, when the model has no rows to rank', () => {
    const lin = tfl.sequential({ name: 'lin' });
    lin.add(tfl.layers.dense({ inputShape: [4], units: 2, activation: 'softmax' }));
    expect(() => resolvePurifyOptions({ headShiftRows: 0.5, headShift: 3 }, 2, 100, lin)).toThrow(/model 'lin' has none/);
    // With the shift off (headShift 'auto' turns it off on this head) there is nothing to rank: any share is accepted.
    expect(resolvePurifyOptions({ headShiftRows: 0.5 }, 2, 100, lin).headShiftRows).toBe(0.5);
    const conv = tfl.sequential({ name: 'conv' });
    conv.add(tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }));
    conv.add(tfl.layers.flatten());
    conv.add(tfl.layers.dense({ units: 3, activation: 'relu', name: 'hidden' }));
    conv.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
    expect(() => resolvePurifyOptions({ headShiftRows: 0.5, layers: 'conv', invert: false }, 2, 100, conv)).toThrow(/'hidden', which layers 'conv' does not score/);
    expect(resolvePurifyOptions({ headShiftRows: 0.5 }, 2, 100, conv).headShiftRows).toBe(0.5);
    lin.dispose();
    conv.dispose();
  });
});

describe('headWarmup: epochs of the re-drawn head trained alone before stage 2', () => {
  it('is 5 by default and must be a non-negative integer', () => {
    expect(resolvePurifyOptions({}, 2, 100).headWarmup).toBe(5);
    expect(resolvePurifyOptions({ headWarmup: 0 }, 2, 100).headWarmup).toBe(0);
    expect(() => resolvePurifyOptions({ headWarmup: -1 }, 2, 100)).toThrow(/headWarmup/);
    expect(() => resolvePurifyOptions({ headWarmup: 1.5 }, 2, 100)).toThrow(/headWarmup/);
  });
});

describe('headRelease: epochs of the head trained alone, penalty off, after stage 3', () => {
  it('is off (0) by default and must be a non-negative integer', () => {
    expect(resolvePurifyOptions({}, 2, 100).headRelease).toBe(0);
    expect(resolvePurifyOptions({ headRelease: 20 }, 2, 100).headRelease).toBe(20);
    expect(() => resolvePurifyOptions({ headRelease: -2 }, 2, 100)).toThrow(/headRelease/);
    expect(() => resolvePurifyOptions({ headRelease: 0.5 }, 2, 100)).toThrow(/headRelease/);
  });
});
