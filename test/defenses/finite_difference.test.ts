import * as tf from '@tensorflow/tfjs-core';
import { directionalDerivative } from '../../src/defenses/finite_difference';

describe('directionalDerivative', () => {
  // g(a) = a^3 elementwise (the gradient of sum(a^4) / 4): its Jacobian is diag(3 a^2).
  const cube = (a: tf.Tensor): tf.Tensor[] => [tf.pow(a, 3)];

  it('is the central difference (g(a + h u) - g(a - h u)) |d| / 2h: 3 + h^2 per unit length for a cube', () => {
    const at = tf.tensor1d([1, 2]);
    const d = tf.tensor1d([2, 0]);
    const before = tf.memory().numTensors;
    const [r] = directionalDerivative(cube, at, d, 0.01) as [tf.Tensor];
    // Exact J d = [3 * 1 * 2, 0] = [6, 0]; the difference gives ((1 + h)^3 - (1 - h)^3) / 2h * 2 = (3 + h^2) * 2.
    const [x, y] = Array.from(r.dataSync());
    expect(x).toBeCloseTo(6.0002, 3);
    expect(y).toBe(0);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([at, d]);
  });

  it('gives exact zeros along a zero direction', () => {
    const at = tf.tensor1d([1, 2]);
    const d = tf.zeros([2]);
    const [r] = directionalDerivative(cube, at, d, 0.01) as [tf.Tensor];
    expect(Array.from(r.dataSync())).toEqual([0, 0]);
    tf.dispose([at, d, r]);
  });

  it('returns one derivative per gradient the map returns (a mixed product)', () => {
    // f(a, t) = t * sum(a^2): grad_t f = sum(a^2), whose derivative along d is 2 a . d.
    const at = tf.tensor1d([1, -1]);
    const d = tf.tensor1d([3, 1]);
    const r = directionalDerivative((a) => [tf.sum(tf.square(a)), tf.mul(a, 2)], at, d, 0.01);
    expect(r).toHaveLength(2);
    expect((r[0] as tf.Tensor).dataSync()[0]).toBeCloseTo(2 * (3 - 1), 3);
    const [u, v] = Array.from((r[1] as tf.Tensor).dataSync());
    expect(u).toBeCloseTo(6, 3);
    expect(v).toBeCloseTo(2, 3);
    tf.dispose([at, d, ...r]);
  });
});
