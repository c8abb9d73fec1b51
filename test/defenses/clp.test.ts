import { describeDefense } from './describe_defense';

// u = 0 prunes every channel above its layer's mean bound: with 4 channels of distinct bounds, 1 to 3 of them.
describeDefense('clp', { u: 0 }, ({ report }) => {
  const c = report.chose as { channels: number; pruned: number; prunedChannels: Record<string, number[]> };
  expect(c.channels).toBe(4);
  expect(c.pruned).toBeGreaterThanOrEqual(1);
  expect(c.pruned).toBeLessThanOrEqual(3);
  expect(Object.values(c.prunedChannels).flat()).toHaveLength(c.pruned);
  expect(Object.keys(report.seconds)).toEqual(['score', 'prune', 'total']);
});
