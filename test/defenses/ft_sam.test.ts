import { describeDefense } from './describe_defense';

describeDefense('ft-sam', { epochs: 2, rho: 0.5 }, ({ report }) => {
  const c = report.chose as { epochAccs: number[] };
  expect(c.epochAccs).toHaveLength(2);
  expect(c.epochAccs[1]).toBe(report.cleanAcc.after);
  expect(report.options['label-smoothing']).toBe(0.1);
});
