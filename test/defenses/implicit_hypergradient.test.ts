import * as tf from '@tensorflow/tfjs-core';
import { fixedPointHypergradient, type InnerProblem } from '../../src/defenses/implicit_hypergradient';

/**
 * Scalar bilevel problem with a closed form: L_in(delta, theta) = a delta^2 / 2 - theta delta, so delta*(theta) =
 * theta / a; L_out(delta) = delta^2 / 2. Then d L_out(delta*(theta)) / d theta = delta* / a, and the fixed-point
 * method with map delta - eta grad L_in gives v_K = g sum_{k<K} (1 - eta a)^k and hypergradient eta v_K.
 */
describe('fixedPointHypergradient', () => {
  const a = 2;
  const theta = 1;
  const inner: InnerProblem = {
    gradDelta: (d) => tf.sub(tf.mul(d, a), theta),
    gradTheta: (d) => [tf.neg(d)],
  };

  const hyper = (iterations: number): number => {
    const delta = tf.scalar(theta / a);
    const gDelta = tf.scalar(theta / a); // grad of delta^2 / 2
    const gTheta = tf.scalar(0);
    const before = tf.memory().numTensors;
    const [h] = fixedPointHypergradient(inner, delta, gDelta, [gTheta], { iterations, innerStep: 0.1, fdStep: 0.01 }) as [tf.Tensor];
    const value = h.dataSync()[0] as number;
    h.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([delta, gDelta, gTheta]);
    return value;
  };

  it('K = 1 is eta * grad_delta L_out: 0.1 * 0.5', () => {
    expect(hyper(1)).toBeCloseTo(0.05, 5);
  });

  it('K = 5 is the truncated Neumann series: 0.1 * 0.5 * (1 - 0.8^5) / 0.2 = 0.16808', () => {
    expect(hyper(5)).toBeCloseTo(0.16808, 4);
  });

  it('many iterations reach the exact implicit gradient delta* / a = 0.25', () => {
    expect(hyper(200)).toBeCloseTo(0.25, 3);
  });
});
