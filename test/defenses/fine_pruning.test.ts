import { describeDefense } from './describe_defense';

interface PruneChose {
  layer: string;
  channels: number;
  pruned: number;
  prunedChannels: number[];
  accAfterEachPrune: number[];
  epochAccs: number[];
}

describeDefense('fp', { epochs: 1, 'max-drop': 0.04 }, ({ report }) => {
  const c = report.chose as unknown as PruneChose;
  // The toy's only conv has 4 channels; max-fraction 0.9 caps pruning at floor(3.6) = 3.
  expect(c.channels).toBe(4);
  expect(c.pruned).toBeLessThanOrEqual(3);
  expect(c.prunedChannels).toHaveLength(c.pruned);
  // Every kept prune stayed within the drop; the one that stopped the search (if any) did not.
  c.accAfterEachPrune.slice(0, c.pruned).forEach((a) => expect(a).toBeGreaterThanOrEqual(report.cleanAcc.before - 0.04 - 1e-12));
  if (c.accAfterEachPrune.length > c.pruned) expect(c.accAfterEachPrune[c.pruned]).toBeLessThan(report.cleanAcc.before - 0.04);
  expect(c.epochAccs).toHaveLength(1);
  expect(Object.keys(report.seconds)).toEqual(['score', 'prune', 'finetune', 'total']);
});
