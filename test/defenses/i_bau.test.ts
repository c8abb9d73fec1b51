import * as tf from '@tensorflow/tfjs-core';
import { projectL2Ball } from '../../src/defenses/i_bau';
import { describeDefense } from './describe_defense';

// 32 clean toy images in batches of 16 with portion 0.1: one image per batch gets the perturbation, so every outer
// step takes the implicit hypergradient.
describeDefense('i-bau', { rounds: 2, 'batch-size': 16, portion: 0.1 }, ({ report }) => {
  const c = report.chose as { epochAccs: number[]; perturbationNorms: number[]; radius: number; batches: number };
  expect(c.epochAccs).toHaveLength(2);
  expect(c.epochAccs[1]).toBe(report.cleanAcc.after);
  expect(c.perturbationNorms).toHaveLength(2);
  for (const n of c.perturbationNorms) expect(n).toBeGreaterThan(0);
  expect(c.radius).toBe(10);
  expect(c.batches).toBe(2);
  expect(Object.keys(report.seconds)).toEqual(['unlearn', 'total']);
});

describe('projectL2Ball', () => {
  it('scales a vector outside the ball onto its surface and leaves one inside alone', () => {
    const d = tf.tensor1d([3, 4]);
    const before = tf.memory().numTensors;
    const onto = projectL2Ball(d, 1);
    const inside = projectL2Ball(d, 10);
    const [x, y] = Array.from(onto.dataSync());
    expect(x).toBeCloseTo(0.6, 6);
    expect(y).toBeCloseTo(0.8, 6);
    expect(Array.from(inside.dataSync())).toEqual([3, 4]);
    tf.dispose([onto, inside]);
    expect(tf.memory().numTensors).toBe(before);
    d.dispose();
  });
});
