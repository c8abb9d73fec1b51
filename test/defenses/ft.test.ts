import { describeDefense } from './describe_defense';

describeDefense('ft', { epochs: 2 }, ({ report }) => {
  const chose = report.chose as { epochAccs: number[]; batchSize: number; recalibratedAcc: number | null };
  expect(chose.epochAccs).toHaveLength(2);
  // 32 clean images: ceil(32 / 10) = 4, raised to the minimum of 16.
  expect(chose.batchSize).toBe(16);
  // The toy has no BatchNorm: nothing to re-estimate, and the final accuracy is the last epoch's.
  expect(chose.recalibratedAcc).toBeNull();
  expect(chose.epochAccs[1]).toBe(report.cleanAcc.after);
  expect(Object.keys(report.seconds)).toEqual(['finetune', 'total']);
});
