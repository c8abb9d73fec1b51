import { getDefense } from '../../src/defenses/registry';
import { ModelError } from '../../src/errors';
import { bnToy, toyClean, weightValues } from './backdoored_toy';
import { describeDefense } from './describe_defense';
import { toyModel } from './toy';

const quick = { 'unlearn-epochs': 2, 'mask-epochs': 1 };

describe("defense 'rnp'", () => {
  it('refuses a model without BatchNorm, naming it', async () => {
    const m = toyModel();
    await expect(getDefense('rnp').run(m, toyClean, quick)).rejects.toThrow(ModelError);
    m.dispose();
  });

  it('prunes the channels whose mask ends at or below the threshold (all of them at threshold 1), input untouched', async () => {
    const m = bnToy();
    const before = weightValues(m);
    const { model, report } = await getDefense('rnp').run(m, toyClean, { ...quick, threshold: 1 }, { seed: 1 });
    expect(weightValues(m)).toEqual(before);
    expect(report.chose).toMatchObject({ channels: 4, pruned: 4, prunedChannels: { bn: [0, 1, 2, 3] } });
    const [gamma, beta] = model.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync()));
    expect(gamma).toEqual([0, 0, 0, 0]);
    expect(beta).toEqual([0, 0, 0, 0]);
    expect(Object.keys(report.seconds)).toEqual(['unlearn', 'score', 'prune', 'total']);
    model.dispose();
    m.dispose();
  });
});

describeDefense('rnp', quick, undefined, bnToy);
