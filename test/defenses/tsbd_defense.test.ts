import { getDefense } from '../../src/defenses/registry';
import { purify } from '../../src/defenses/tsbd';
import { backdooredToy, toyClean, weightValues } from './backdoored_toy';
import { describeDefense } from './describe_defense';

const quick = { n: 0.25, epochs: 1, 'extrapolate-epochs': 1 };

describeDefense('tsbd', quick, ({ report }) => {
  const c = report.chose as { fraction: number; fractionSource: string; neurons: number; weights: number; totalNeurons: number };
  // The toy's Dense is its output layer, so its 4 conv neurons are ranked; floor(0.25 * 4) = 1
  // neuron of 9 weights, floor(0.7 * 9) = 6 zeroed.
  expect(c).toMatchObject({ fraction: 0.25, fractionSource: 'given', totalNeurons: 4, neurons: 1, weights: 6 });
  expect(Object.keys(report.seconds)).toEqual(['invert', 'unlearn', 'select', 'reinit', 'warmup', 'finetune', 'extrapolate', 'release', 'total']);
});

describe("registry 'tsbd'", () => {
  it('gives exactly what purify gives with the same options and seed', async () => {
    const suspect = await backdooredToy();
    const viaRegistry = await getDefense('tsbd').run(suspect, toyClean, quick, { seed: 4 });
    const direct = await purify(suspect, toyClean, { fraction: 0.25, seed: 4, finetune: { epochs: 1 }, extrapolate: { epochs: 1 } });
    expect(weightValues(viaRegistry.model)).toEqual(weightValues(direct.model));
    expect(viaRegistry.report.cleanAcc.after).toBe(direct.report.cleanAcc.after);
    viaRegistry.model.dispose();
    direct.model.dispose();
    suspect.dispose();
  });
});
