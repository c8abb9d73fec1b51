import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DefenseOptions, DefenseResult } from '../../src/defenses/defense';
import { getDefense } from '../../src/defenses/registry';
import { backdooredToy, toyClean, weightValues } from './backdoored_toy';

/**
 * The checks every registered defense gets on the tiny backdoored model: the report is sane (its name, its options
 * with the given ones, non-negative seconds with a total that bounds each phase, clean accuracies in [0, 1]), the
 * input model is untouched, the result is a new model, and a run leaves no tensor behind once its result is
 * disposed. Returns the first run's result report for defense-specific checks (its model is disposed). `suspectModel`
 * makes the model (default: the backdoored toy; ANP and RNP need one with BatchNorm).
 */
export function describeDefense(
  name: string,
  options: DefenseOptions,
  extra?: (result: DefenseResult, suspect: tfl.LayersModel) => void | Promise<void>,
  suspectModel: () => tfl.LayersModel | Promise<tfl.LayersModel> = backdooredToy,
): void {
  describe(`defense '${name}' on a tiny backdoored model`, () => {
    let suspect: tfl.LayersModel;
    beforeAll(async () => {
      suspect = await suspectModel();
    });
    afterAll(() => suspect.dispose());

    it('returns a new model and a sane report, leaving the input untouched', async () => {
      const before = weightValues(suspect);
      const result = await getDefense(name).run(suspect, toyClean, options, { seed: 3 });
      try {
        expect(result.model).not.toBe(suspect);
        expect(weightValues(suspect)).toEqual(before);
        const r = result.report;
        expect(r.defense).toBe(name);
        for (const [k, v] of Object.entries(options)) expect(r.options[k]).toBe(v);
        const total = r.seconds['total'] as number;
        expect(total).toBeGreaterThan(0);
        for (const [phase, s] of Object.entries(r.seconds)) {
          expect(s).toBeGreaterThanOrEqual(0);
          if (phase !== 'total') expect(s).toBeLessThanOrEqual(total);
        }
        for (const a of [r.cleanAcc.before, r.cleanAcc.after]) {
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(1);
        }
        expect(() => JSON.stringify(r)).not.toThrow();
        await extra?.(result, suspect);
      } finally {
        result.model.dispose();
      }
    });

    it('leaves tf.memory().numTensors unchanged once its result is disposed', async () => {
      const run = async (): Promise<void> => {
        const { model } = await getDefense(name).run(suspect, toyClean, options, { seed: 3 });
        model.dispose();
      };
      await run();
      const before = tf.memory().numTensors;
      await run();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
