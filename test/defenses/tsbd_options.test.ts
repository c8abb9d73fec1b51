import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../src/errors';
import { AUTO_HEAD_SHIFT, HEAD_SHIFT_EPOCHS, resolvePurifyOptions } from '../../src/defenses/tsbd_options';

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

  it('is 3 by default when a hidden Dense layer feeds the output', () => {
    const m = mlp();
    expect(AUTO_HEAD_SHIFT).toBe(3);
    expect(resolvePurifyOptions({}, 2, 100, m).headShift).toBe(3);
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
    expect(resolvePurifyOptions({}, 2, 100, m).finetune.epochs).toBe(40);
    expect(resolvePurifyOptions({ headShift: 1 }, 2, 100).finetune.epochs).toBe(40);
    expect(resolvePurifyOptions({ finetune: { epochs: 7 } }, 2, 100, m).finetune.epochs).toBe(7);
    m.dispose();
  });
});
