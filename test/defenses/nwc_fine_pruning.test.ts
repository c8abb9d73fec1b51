import { describeDefense } from './describe_defense';

describeDefense('nwc-fp', { epochs: 1 }, ({ report }) => {
  const c = report.chose as { channels: number; pruned: number; unlearn: { epochs: number; stopReason: string } };
  expect(c.channels).toBe(4);
  expect(c.pruned).toBeLessThanOrEqual(3);
  expect(c.unlearn.epochs).toBeGreaterThanOrEqual(1);
  expect(Object.keys(report.seconds)).toEqual(['unlearn', 'prune', 'finetune', 'total']);
});
