import * as tf from '@tensorflow/tfjs-core';
import { toTensors } from '../../src/data/tensors';
import { recovers } from '../../src/defenses/choose_fraction';
import { purify } from '../../src/defenses/tsbd';
import { TsbdEmitter } from '../../src/events';
import { toyModel, toySet } from './toy';

describe('choosing n from clean data', () => {
  describe('a probe recovers when it keeps `retain` of the accuracy above chance', () => {
    // 10 classes, chance 0.1; original 0.9, so 0.8 above chance; half of it is 0.4: the bar is 0.1 + 0.4 = 0.5.
    it.each([
      [0.5, true],
      [0.49, false],
      [0.9, true],
      [0.1, false],
    ])('held-out %p against 0.9 at retain 0.5 -> %p', (acc, expected) => {
      expect(recovers(acc, 0.9, 10, 0.5)).toBe(expected);
    });

    it('retain 0 accepts anything at or above chance, retain 1 only the original accuracy', () => {
      // 2 classes: chance 0.5.
      expect(recovers(0.5, 0.8, 2, 0)).toBe(true);
      expect(recovers(0.49, 0.8, 2, 0)).toBe(false);
      expect(recovers(0.8, 0.8, 2, 1)).toBe(true);
      expect(recovers(0.79, 0.8, 2, 1)).toBe(false);
    });
  });

  it('probes the largest candidate first and stops at the first one that recovers', async () => {
    const model = toyModel();
    const clean = toySet(40, 5);
    // Train the toy first, so that it has accuracy to keep.
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
    const { x, y } = toTensors(clean);
    await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0 });
    tf.dispose([x, y]);
    const events = new TsbdEmitter();
    const probed: number[] = [];
    events.on('fractionProbe', (n) => probed.push(n));
    // retain 0: every probe at or above chance (0.5 here) is accepted. The largest candidate is probed first, and once
    // it is accepted no other is.
    const { model: out, report } = await purify(model, clean, {
      fraction: 'auto',
      unlearn: { maxEpochs: 1 },
      finetune: { epochs: 1 },
      auto: { candidates: [0.25, 0.75, 0.5], retain: 0, probeSteps: 5 },
      events,
    });
    expect(report.cleanAcc.before).toBe(1);
    expect(probed).toEqual([0.75]);
    expect(report.probes).toEqual([{ fraction: 0.75, heldOutAcc: expect.any(Number), accepted: true }]);
    expect(report.fraction).toBe(0.75);
    out.dispose();
    model.dispose();
  });
});
