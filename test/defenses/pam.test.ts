import { describeDefense } from './describe_defense';

describeDefense('pam', { epochs: 2 }, ({ report }) => {
  const c = report.chose as { epochAccs: number[] };
  expect(c.epochAccs).toHaveLength(2);
  expect(c.epochAccs[1]).toBe(report.cleanAcc.after);
});
