import { describeDefense } from './describe_defense';

describeDefense('sau', { rounds: 2 }, ({ report }) => {
  const c = report.chose as { batchSize: number; epochAccs: number[]; suspectFooledFraction: number };
  expect(c.epochAccs).toHaveLength(2);
  expect(c.epochAccs[1]).toBe(report.cleanAcc.after);
  expect(c.batchSize).toBe(16); // 32 images: max(16, min(256, ceil(32 / 10)))
  expect(c.suspectFooledFraction).toBeGreaterThanOrEqual(0);
  expect(c.suspectFooledFraction).toBeLessThanOrEqual(1);
  expect(report.options['eps']).toBe(0.2);
  expect(Object.keys(report.seconds)).toEqual(['unlearn', 'total']);
});
