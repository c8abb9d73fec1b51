/** Mean and sample standard deviation (n − 1 in the denominator; 0 for a single value) of `n` values. */
export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** {@link Stat} of `xs`; NaN values (an ASR with no non-target test image) are left out. */
export function meanStd(xs: readonly number[]): Stat {
  const v = xs.filter((x) => !Number.isNaN(x));
  const n = v.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n === 1 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}
