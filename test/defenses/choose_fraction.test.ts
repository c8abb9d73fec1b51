import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../src/data/image_set';
import { toTensors } from '../../src/data/tensors';
import { predictCost, referenceAccs, reinitCost } from '../../src/defenses/choose_fraction';
import { cleanSplits } from '../../src/defenses/clean_split';
import { purify } from '../../src/defenses/tsbd';
import { ConfigError } from '../../src/errors';
import { TsbdEmitter } from '../../src/events';
import { toyModel, toySet } from './toy';

/** `count` 2x2 grey images whose first pixel is the image's index: a split's images can be traced back. */
function numbered(count: number): ImageSet {
  const images = new Uint8Array(count * 4);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images[i * 4] = i;
    images[i * 4 + 1] = 255 - i;
    labels[i] = i % 3;
  }
  return { images, labels, count, height: 2, width: 2, channels: 1, numClasses: 3 };
}

/** The indices of a subset of {@link numbered}, checking that each image's bytes and label came along. */
function ids(set: ImageSet): number[] {
  return Array.from({ length: set.count }, (_, k) => {
    const i = set.images[k * 4] as number;
    expect(set.images[k * 4 + 1]).toBe(255 - i);
    expect(set.labels[k]).toBe(i % 3);
    return i;
  });
}

/** The toy model trained to (near) perfect clean accuracy, so that zeroing it has something to cost. */
async function trainedToy(clean: ImageSet): Promise<tfl.LayersModel> {
  const model = toyModel();
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
  const { x, y } = toTensors(clean);
  await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0, shuffle: false });
  tf.dispose([x, y]);
  return model;
}

type Probed = [fraction: number, heldOutAcc: number, cost: number, accepted: boolean];

function recorder(): { events: TsbdEmitter; probes: Probed[]; warnings: string[] } {
  const events = new TsbdEmitter();
  const probes: Probed[] = [];
  const warnings: string[] = [];
  events.on('fractionProbe', (...p) => probes.push(p));
  events.on('warning', (m) => warnings.push(m));
  return { events, probes, warnings };
}

const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

describe('choosing n from clean data', () => {
  describe('referenceAccs: per split, the lower of the control and the model as given', () => {
    it('takes the model as given where fine-tuning raised accuracy, the control where it lowered it', () => {
      // split 0: control .85 above base .80 -> .80; split 1: control .70 below base .78 -> .70
      expect(referenceAccs([0.85, 0.7], [0.8, 0.78])).toEqual([0.8, 0.7]);
      // D1-like figures: control [.855, .845] (measured), a base of .80 (its test ACC); n = .4 held out [.81, .792] costs -.001 against
      // the reference, .049 against the control alone.
      expect(reinitCost([0.81, 0.792], referenceAccs([0.855, 0.845], [0.8, 0.8]))).toBeCloseTo(-0.001, 12);
      expect(reinitCost([0.81, 0.792], [0.855, 0.845])).toBeCloseTo(0.049, 12);
    });
  });

  describe('predictCost: the cost the full fine-tuning will have, from halfway and the end of one recovery', () => {
    it('with t1 = t2 / 2 the recovery still to come equals that of the second half', () => {
      // 0.059 after 1 epoch, 0.033 after 2: the gap closed by 0.026, so 0.033 - 0.026 = 0.007.
      expect(predictCost(0.059, 0.033, 1, 2)).toBeCloseTo(0.007, 12);
      // after 3 and 6 epochs: the same.
      expect(predictCost(0.08, 0.05, 3, 6)).toBeCloseTo(0.02, 12);
    });

    it('uneven points: c + b / t through both, at t = infinity', () => {
      // c + b/2 = 0.05, c + b/5 = 0.02: b = 0.1, c = 0; and the formula: 0.02 - 0.03 * 2 / 3 = 0.
      expect(predictCost(0.05, 0.02, 2, 5)).toBeCloseTo(0, 12);
    });

    it('a gap that did not shrink is not extrapolated; negative costs pass through', () => {
      expect(predictCost(0.02, 0.03, 1, 2)).toBe(0.03);
      expect(predictCost(0.03, 0.03, 1, 2)).toBe(0.03);
      expect(predictCost(0.01, -0.01, 1, 2)).toBeCloseTo(-0.03, 12);
    });

    it('refuses points out of order', () => {
      expect(() => predictCost(0.1, 0.05, 2, 2)).toThrow(/0 < t1 < t2/);
      expect(() => predictCost(0.1, 0.05, 0, 2)).toThrow(/t1 = 0/);
    });
  });

  describe('reinitCost: mean over splits of reference - candidate', () => {
    it.each([
      [[0.7, 0.9], [0.8, 0.9], 0.05],
      [[0.5], [0.75], 0.25],
      [[0.6, 0.6, 0.6], [0.6, 0.6, 0.6], 0],
      [[0.5, 0.625, 0.75], [0.75, 0.75, 1], 0.625 / 3], // (0.25 + 0.125 + 0.25) / 3
    ])('candidate %p against control %p -> %p', (candidate, control, expected) => {
      expect(reinitCost(candidate, control)).toBeCloseTo(expected, 12);
    });

    it('is negative when the candidate recovers better than the control', () => {
      expect(reinitCost([0.9, 0.85], [0.8, 0.85])).toBeCloseTo(-0.05, 12);
    });

    it('throws on mismatched lengths or no splits', () => {
      expect(() => reinitCost([0.5, 0.6], [0.5])).toThrow(/2 candidate, 1 reference/);
      expect(() => reinitCost([0.5], [0.5, 0.6])).toThrow(/1 candidate, 2 reference/);
      expect(() => reinitCost([], [])).toThrow(/0 candidate, 0 reference/);
    });
  });

  describe('cleanSplits: disjoint held-out blocks of one seeded shuffle', () => {
    it('holds out round(fraction * n) images per split, disjoint across splits, the rest trains', () => {
      const set = numbered(23);
      const splits = cleanSplits(set, 0.2, 3, 5);
      expect(splits).toHaveLength(3);
      const heldOuts = splits.map((s) => ids(s.heldOut));
      for (const [k, s] of splits.entries()) {
        expect(s.heldOut.count).toBe(5); // round(0.2 * 23) = round(4.6)
        expect(s.train.count).toBe(18);
        const held = heldOuts[k] as number[];
        const train = ids(s.train);
        // train + heldOut is exactly the whole set, each image once.
        expect([...train, ...held].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
        for (const key of ['height', 'width', 'channels', 'numClasses'] as const) {
          expect(s.train[key]).toBe(set[key]);
          expect(s.heldOut[key]).toBe(set[key]);
        }
      }
      const allHeld = heldOuts.flat();
      expect(new Set(allHeld).size).toBe(15); // 3 blocks of 5, no image held out twice
    });

    it('holds out at least one image', () => {
      const splits = cleanSplits(numbered(10), 0.01, 2, 1); // round(0.1) = 0 -> 1
      expect(splits.map((s) => s.heldOut.count)).toEqual([1, 1]);
      expect(splits.map((s) => s.train.count)).toEqual([9, 9]);
      expect(ids(splits[0]?.heldOut as ImageSet)).not.toEqual(ids(splits[1]?.heldOut as ImageSet));
    });

    it('is a function of the seed', () => {
      const set = numbered(40);
      const a = cleanSplits(set, 0.2, 2, 7).map((s) => [ids(s.train), ids(s.heldOut)]);
      const b = cleanSplits(set, 0.2, 2, 7).map((s) => [ids(s.train), ids(s.heldOut)]);
      const c = cleanSplits(set, 0.2, 2, 8).map((s) => [ids(s.train), ids(s.heldOut)]);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });

    it('refuses, naming the counts, when the blocks leave nothing to train on', () => {
      // round(0.5 * 10) = 5; 2 blocks of 5 use all 10 images.
      const call = (): unknown => cleanSplits(numbered(10), 0.5, 2, 1);
      expect(call).toThrow(ConfigError);
      expect(call).toThrow(/2 disjoint held-out parts of 5 images \(heldOutFraction 0.5\) need more than 10 clean images; the clean set has 10/);
      try {
        call();
      } catch (e) {
        expect((e as ConfigError).details).toEqual({ count: 2, heldOut: 5, images: 10 });
      }
      // One image fewer held out per block fits (2 * 4 < 10 with 0.4), and so does one block of 5.
      expect(cleanSplits(numbered(10), 0.4, 2, 1)).toHaveLength(2);
      expect(cleanSplits(numbered(10), 0.5, 1, 1)).toHaveLength(1);
    });
  });

  describe('the search, against the n = 0 control', () => {
    let model: tfl.LayersModel;
    const clean = toySet(40, 5);
    beforeAll(async () => {
      model = await trainedToy(clean);
    });
    afterAll(() => model.dispose());

    it('probes the largest candidate first and stops at the first accepted one', async () => {
      const { events, probes, warnings } = recorder();
      // tolerance 1 accepts any cost (accuracies are in [0, 1]): after the control, only the largest is probed.
      const { model: out, report } = await purify(model, clean, {
        fraction: 'auto',
        unlearn: { maxEpochs: 1 },
        finetune: { epochs: 1 },
        auto: { candidates: [0.25, 0.75, 0.5], tolerance: 1, probeSteps: 5 },
        events,
      });
      out.dispose();
      expect(report.cleanAcc.before).toBe(1);
      expect(report.controlAccs).toHaveLength(2); // the default splits
      expect(probes).toEqual([
        [0, mean(report.controlAccs), 0, true],
        [0.75, expect.any(Number), expect.any(Number), true],
      ]);
      expect(report.probes).toHaveLength(1);
      const [p] = report.probes;
      expect(p?.fraction).toBe(0.75);
      expect(p?.accepted).toBe(true);
      expect(p?.heldOutAccs).toHaveLength(2);
      expect(probes[1]).toEqual([0.75, p?.heldOutAcc, p?.cost, true]);
      expect(report.fraction).toBe(0.75);
      expect(report.neurons).toBe(3); // floor(0.75 * 4 conv neurons)
      expect(warnings).toEqual([]);
    });

    it('does not probe a candidate that selects no neuron, and zeroes nothing when none selects one', async () => {
      // 4 ranked conv neurons: floor(0.1 * 4) = floor(0.2 * 4) = 0, floor(0.5 * 4) = 2.
      const some = recorder();
      const a = await purify(model, clean, {
        fraction: 'auto',
        unlearn: { maxEpochs: 1 },
        finetune: { epochs: 1 },
        auto: { candidates: [0.1, 0.5, 0.2], tolerance: 1, probeSteps: 5 },
        events: some.events,
      });
      a.model.dispose();
      expect(a.report.probes.map((p) => p.fraction)).toEqual([0.5]);
      expect(some.warnings).toEqual(['candidate n 0.2, 0.1 select no neuron of 4: not probed']);

      const none = recorder();
      const b = await purify(model, clean, {
        fraction: 'auto',
        unlearn: { maxEpochs: 1 },
        finetune: { epochs: 1 },
        auto: { candidates: [0.1, 0.2] },
        events: none.events,
      });
      b.model.dispose();
      expect(b.report.fraction).toBe(0);
      expect(b.report.neurons).toBe(0);
      expect(b.report.weights).toBe(0);
      expect(none.probes).toEqual([]); // not even the control ran
      expect(none.warnings[1]).toBe('no candidate n selects a neuron of 4; nothing is re-initialised');
    });

    it('refuses split settings the clean set cannot hold before any work', async () => {
      // 40 images, 0.2 held out = 8 per split: 5 splits need more than 40.
      await expect(purify(model, clean, { fraction: 'auto', auto: { splits: 5 } })).rejects.toThrow(
        /auto.splits 5 disjoint held-out parts of 8 images need more than 40 clean images; the clean set has 40/,
      );
      // a given n needs no split
      const given = await purify(model, clean, { fraction: 0.25, unlearn: { maxEpochs: 1 }, finetune: { epochs: 0 }, auto: { splits: 5 } });
      given.model.dispose();
    });

    /** One epoch of recovery at lr 1e-4 (at 1e-3 a single step already rebuilds this trivially separable toy). */
    const weak = {
      fraction: 'auto',
      weightFraction: 1,
      unlearn: { maxEpochs: 1 },
      finetune: { epochs: 1, lr: 1e-4 },
      extrapolate: { factor: 0 },
    } as const;

    it('rejects every candidate that costs accuracy at tolerance 0, uses the smallest and warns', async () => {
      const { events, probes, warnings } = recorder();
      // weightFraction 1 zeroes every kernel weight of the selected conv neurons: n = 1 all 4, n = 0.9 three
      // (floor(3.6)), which leaves this net predicting one class: below the control on every split.
      const { model: out, report } = await purify(model, clean, {
        ...weak,
        auto: { candidates: [0.9, 1], tolerance: 0, splits: 3, probeSteps: 1 },
        events,
      });
      out.dispose();
      expect(report.controlAccs).toHaveLength(3);
      expect(report.probes.map((p) => [p.fraction, p.accepted])).toEqual([
        [1, false],
        [0.9, false],
      ]);
      for (const p of report.probes) {
        expect(p.heldOutAccs).toHaveLength(3);
        expect(p.heldOutAcc).toBeCloseTo(mean(p.heldOutAccs), 12);
        expect(p.measuredCost).toBeCloseTo(reinitCost(p.heldOutAccs, referenceAccs(report.controlAccs, report.baseAccs)), 12);
        expect(p.halfwayAccs).toHaveLength(3);
        // probeSteps 1 gives the minimum recovery, 2 epochs, read after 1 and 2.
        expect(p.cost).toBeCloseTo(predictCost(p.halfwayCost, p.measuredCost, 1, 2), 12);
        expect(report.baseAccs).toHaveLength(3);
        expect(p.cost).toBeGreaterThan(0); // truly worse than doing nothing, so tolerance 0 must reject it
      }
      expect(probes).toEqual([
        [0, mean(report.controlAccs), 0, true],
        ...report.probes.map((p) => [p.fraction, p.heldOutAcc, p.cost, false]),
      ]);
      expect(report.fraction).toBe(0.9);
      expect(report.neurons).toBe(3);
      expect(report.weights).toBe(27); // all 3*3*1 kernel weights of the 3 neurons
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/every candidate n cost more than 0 held-out clean accuracy/);
      expect(warnings[0]).toMatch(/using the smallest, 0.9$/);
    });

    it('after rejecting the largest, bisects the others for the largest within tolerance; a cost equal to it is accepted', async () => {
      const { events, probes, warnings } = recorder();
      // n = 1 and 0.5 leave the net predicting one class (cost 1/3 here); n = 0.25 zeroes one filter and costs nothing.
      const { model: out, report } = await purify(model, clean, {
        ...weak,
        auto: { candidates: [0.25, 1, 0.5], tolerance: 0.3, splits: 3, probeSteps: 1 },
        events,
      });
      out.dispose();
      const costs = report.probes.map((p) => p.cost);
      // Largest (1) first; then bisection over [0.25, 0.5]: its middle, 0.25, is accepted, so 0.5 is tried and rejected.
      expect(costs[0]).toBeGreaterThan(0.3);
      expect(costs[1]).toBeLessThanOrEqual(0.3);
      expect(costs[2]).toBeGreaterThan(0.3);
      expect(report.probes.map((p) => [p.fraction, p.accepted])).toEqual([
        [1, false],
        [0.25, true],
        [0.5, false],
      ]);
      expect(probes.map(([n, , , ok]) => [n, ok])).toEqual([
        [0, true],
        [1, false],
        [0.25, true],
        [0.5, false],
      ]);
      expect(report.fraction).toBe(0.25);
      expect(report.neurons).toBe(1);
      expect(warnings).toEqual([]);

      // The run is seeded, so n = 1 costs the same again: with exactly that tolerance it is accepted at once.
      const again = await purify(model, clean, {
        ...weak,
        auto: { candidates: [0.25, 1, 0.5], tolerance: costs[0] as number, splits: 3, probeSteps: 1 },
      });
      again.model.dispose();
      expect(again.report.controlAccs).toEqual(report.controlAccs);
      expect(again.report.probes).toEqual([{ ...report.probes[0], accepted: true }]);
      expect(again.report.fraction).toBe(1);
    });
  });
});
