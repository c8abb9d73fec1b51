import * as tf from '@tensorflow/tfjs-core';
import { attentionMap } from '../../src/defenses/nad';
import { describeDefense } from './describe_defense';

describeDefense('nad', { epochs: 2, 'teacher-epochs': 1 }, ({ report }) => {
  const c = report.chose as { attentionLayers: string[]; teacherEpochAccs: number[]; epochAccs: number[] };
  expect(c.attentionLayers).toHaveLength(1); // the toy has one conv
  expect(c.teacherEpochAccs).toHaveLength(1);
  expect(c.epochAccs).toHaveLength(2);
  expect(Object.keys(report.seconds)).toEqual(['teacher', 'distill', 'total']);
});

describe('attentionMap (NAD)', () => {
  it('is the per-position mean over channels of |F|^p, L2-normalised per image', () => {
    // One image, 1x2 positions, 2 channels: position 0 = [1, 1], position 1 = [3, -1]; p = 2 gives [1, 5].
    const f = tf.tensor4d([1, 1, 3, -1], [1, 1, 2, 2]);
    const before = tf.memory().numTensors;
    const a = attentionMap(f, 2);
    expect(a.shape).toEqual([1, 2]);
    const [x, y] = Array.from(a.dataSync());
    expect(x).toBeCloseTo(1 / Math.sqrt(26), 6);
    expect(y).toBeCloseTo(5 / Math.sqrt(26), 6);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
    f.dispose();
  });
});
