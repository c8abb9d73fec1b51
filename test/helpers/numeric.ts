import { Rng } from '../../src/internal/rng';

/** `n` seeded values uniform in [-1, 1). */
export function values(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** Largest absolute difference over the largest |b| (the absolute difference when b is all zero). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(b[i] ?? 0));
  }
  return scale === 0 ? err : err / scale;
}
