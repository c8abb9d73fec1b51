import { checkConfig } from '../internal/assert';

/**
 * The largest singular value of a `rows` x `cols` matrix given row-major, computed in float64 as the square root of
 * the largest eigenvalue of the smaller Gram matrix (M M^T or M^T M), found by cyclic Jacobi rotations until the
 * off-diagonal mass is below 1e-24 of the total (or 100 sweeps). tfjs has no SVD; CLP needs one per channel of
 * matrices of at most a few hundred entries, where this is exact to float64 rounding.
 */
export function largestSingularValue(values: ArrayLike<number>, rows: number, cols: number): number {
  checkConfig(values.length === rows * cols && rows > 0 && cols > 0, () => `a ${rows}x${cols} matrix needs ${rows * cols} values; received ${values.length}`);
  const n = Math.min(rows, cols);
  const g = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      if (rows <= cols) for (let k = 0; k < cols; k++) s += (values[a * cols + k] as number) * (values[b * cols + k] as number);
      else for (let k = 0; k < rows; k++) s += (values[k * cols + a] as number) * (values[k * cols + b] as number);
      g[a * n + b] = s;
      g[b * n + a] = s;
    }
  }
  const at = (i: number, j: number): number => g[i * n + j] as number;
  let total = 0;
  for (const v of g) total += v * v;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += at(i, j) ** 2;
    if (off <= 1e-24 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const gkp = at(k, p);
          const gkq = at(k, q);
          g[k * n + p] = c * gkp - s * gkq;
          g[k * n + q] = s * gkp + c * gkq;
        }
        for (let k = 0; k < n; k++) {
          const gpk = at(p, k);
          const gqk = at(q, k);
          g[p * n + k] = c * gpk - s * gqk;
          g[q * n + k] = s * gpk + c * gqk;
        }
      }
    }
  }
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, at(i, i));
  return Math.sqrt(largest);
}
