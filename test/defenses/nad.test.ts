import { describeDefense } from './describe_defense';

describeDefense('nad', { epochs: 2, 'teacher-epochs': 1 }, ({ report }) => {
  const c = report.chose as { attentionLayers: string[]; teacherEpochAccs: number[]; epochAccs: number[] };
  expect(c.attentionLayers).toHaveLength(1); // the toy has one conv
  expect(c.teacherEpochAccs).toHaveLength(1);
  expect(c.epochAccs).toHaveLength(2);
  expect(Object.keys(report.seconds)).toEqual(['teacher', 'distill', 'total']);
});
