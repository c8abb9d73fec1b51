/**
 * A small seeded PRNG: Mulberry32 (Tommy Ettinger's public-domain generator; 32-bit state, xorshift-multiply
 * mixing), seeded with `seed ^ 0x9e3779b9`. tfjs has no global seed and `fit` shuffles with Math.random, so
 * everything random in this package (poison selection, shuffles, augmentation, initial weights) draws from here.
 *
 * Why not a library (issue 14): no well-kept seeded-RNG package implements Mulberry32 (pure-rand offers
 * congruential32, mersenne, xorshift128plus and xoroshiro128plus; seedrandom alea, xor128, xorwow, xorshift7,
 * xor4096, tychei and arc4), so switching would change every seeded draw, and with it every number the README
 * reports with its command and every seeded expectation in the tests. Nor would it be faster: `npm run bench:rng`
 * measured pure-rand's xoroshiro128plus at 0.73x our time per float and 1.22x per 60,000-index permutation,
 * seedrandom's alea at 2.7x and 2.9x, all tens of nanoseconds per draw, nothing beside a training step.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p;
  }
}
