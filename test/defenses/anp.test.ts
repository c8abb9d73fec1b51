import { getDefense } from '../../src/defenses/registry';
import { ModelError } from '../../src/errors';
import { bnToy, toyClean, weightValues } from './backdoored_toy';
import { describeDefense } from './describe_defense';
import { toyModel } from './toy';

const quick = { iterations: 2, 'batch-size': 16 };

describe("defense 'anp'", () => {
  it('refuses a model without BatchNorm', async () => {
    const m = toyModel();
    await expect(getDefense('anp').run(m, toyClean, quick)).rejects.toThrow(ModelError);
    m.dispose();
  });

  it('with a zero learning rate the masks stay 1 and nothing is pruned; at threshold above 1 everything is', async () => {
    const m = bnToy();
    const before = weightValues(m);
    const still = await getDefense('anp').run(m, toyClean, { ...quick, 'mask-lr': 0 });
    expect(still.report.chose).toMatchObject({ channels: 4, pruned: 0 });
    expect(weightValues(still.model)).toEqual(before);
    const all = await getDefense('anp').run(m, toyClean, { ...quick, threshold: 1 });
    // Masks are clipped to [0, 1]; those still at 1 are not below the threshold 1.
    const chose = all.report.chose as { pruned: number; prunedChannels: Record<string, number[]> };
    const gamma = Array.from(all.model.getLayer('bn').getWeights()[0]?.dataSync() ?? []);
    for (const c of chose.prunedChannels['bn'] ?? []) expect(gamma[c]).toBe(0);
    expect(weightValues(m)).toEqual(before);
    expect(Object.keys(all.report.seconds)).toEqual(['score', 'prune', 'total']);
    still.model.dispose();
    all.model.dispose();
    m.dispose();
  });
});

describeDefense('anp', quick, undefined, bnToy);
