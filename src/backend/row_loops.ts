/**
 * Loops over a row-major [rows, cols] float32 array with a per-column operand, for the wasm kernels written in JS.
 *
 * Why they look like this: V8 does not vectorise, so a plain `for c < cols` inner loop costs about 1.5 ns per value
 * (loop and index overhead), while walking the array in strips of 8 columns with the 8 per-column values held in
 * locals costs about 0.6 ns, close to a plain pass over memory and 2-5x faster than wasm's broadcasting binary ops
 * and leading-axes reductions (measured on [64, 28, 28, 16]). Columns left over after the strips of 8 go one by one.
 */

/** out[c] = scale · Σ_r x[r · cols + c], accumulated in doubles. */
export function sumRows(x: Float32Array, cols: number, scale: number, out: Float32Array): void {
  const n = x.length;
  let c = 0;
  for (; c + 8 <= cols; c += 8) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let i = c; i < n; i += cols) {
      a0 += x[i] as number;
      a1 += x[i + 1] as number;
      a2 += x[i + 2] as number;
      a3 += x[i + 3] as number;
      a4 += x[i + 4] as number;
      a5 += x[i + 5] as number;
      a6 += x[i + 6] as number;
      a7 += x[i + 7] as number;
    }
    out[c] = a0 * scale;
    out[c + 1] = a1 * scale;
    out[c + 2] = a2 * scale;
    out[c + 3] = a3 * scale;
    out[c + 4] = a4 * scale;
    out[c + 5] = a5 * scale;
    out[c + 6] = a6 * scale;
    out[c + 7] = a7 * scale;
  }
  for (; c < cols; c++) {
    let a = 0;
    for (let i = c; i < n; i += cols) a += x[i] as number;
    out[c] = a * scale;
  }
}

/** out[r, c] = (x[r, c] − m[c]) · a[c] + b[c]: a batch normalisation with per-column factors. */
export function affineRows(x: Float32Array, cols: number, m: Float64Array, a: Float64Array, b: Float64Array, out: Float32Array): void {
  const n = x.length;
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const m0 = m[c] as number, m1 = m[c + 1] as number, m2 = m[c + 2] as number, m3 = m[c + 3] as number;
    const a0 = a[c] as number, a1 = a[c + 1] as number, a2 = a[c + 2] as number, a3 = a[c + 3] as number;
    const b0 = b[c] as number, b1 = b[c + 1] as number, b2 = b[c + 2] as number, b3 = b[c + 3] as number;
    for (let i = c; i < n; i += cols) {
      out[i] = ((x[i] as number) - m0) * a0 + b0;
      out[i + 1] = ((x[i + 1] as number) - m1) * a1 + b1;
      out[i + 2] = ((x[i + 2] as number) - m2) * a2 + b2;
      out[i + 3] = ((x[i + 3] as number) - m3) * a3 + b3;
    }
  }
  for (; c < cols; c++) {
    const mc = m[c] as number;
    const ac = a[c] as number;
    const bc = b[c] as number;
    for (let i = c; i < n; i += cols) out[i] = ((x[i] as number) - mc) * ac + bc;
  }
}

/** The binary ops `binaryRows` knows. */
export type RowOp = 'add' | 'sub' | 'mul' | 'div';

const KIND: Readonly<Record<RowOp, readonly [number, number]>> = { add: [0, 0], sub: [1, 4], mul: [2, 2], div: [3, 5] };

/**
 * out[r, c] = x[r, c] op v[c], or v[c] op x[r, c] when `vectorFirst`, for x.length a multiple of v.length (a scalar
 * is a vector of length 1). Each result is rounded once to float32, so it equals the float32 operation exactly.
 */
export function binaryRows(op: RowOp, x: Float32Array, v: Float32Array, vectorFirst: boolean, out: Float32Array): void {
  const kind = KIND[op][vectorFirst ? 1 : 0] as number;
  const cols = v.length;
  if (cols >= 4) {
    binaryCore(kind, x, v, x.length, out);
    return;
  }
  // Short vectors (a scalar) are repeated to at least 4 columns, so that the main loop still runs 4 at a time.
  const times = Math.ceil(4 / cols);
  const wide = new Float32Array(cols * times);
  for (let t = 0; t < times; t++) wide.set(v, t * cols);
  const main = x.length - (x.length % wide.length);
  binaryCore(kind, x, wide, main, out);
  for (let i = main; i < x.length; i++) out[i] = apply(kind, x[i] as number, v[i % cols] as number);
}

function apply(kind: number, x: number, v: number): number {
  return kind === 0 ? x + v : kind === 1 ? x - v : kind === 2 ? x * v : kind === 3 ? x / v : kind === 4 ? v - x : v / x;
}

/** `binaryRows` on the first `n` values (a multiple of v.length), by op kind: + − · / then v − x, v / x. */
function binaryCore(kind: number, x: Float32Array, v: Float32Array, n: number, out: Float32Array): void {
  const cols = v.length;
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const v0 = v[c] as number, v1 = v[c + 1] as number, v2 = v[c + 2] as number, v3 = v[c + 3] as number;
    switch (kind) {
      case 0:
        for (let i = c; i < n; i += cols) {
          out[i] = (x[i] as number) + v0;
          out[i + 1] = (x[i + 1] as number) + v1;
          out[i + 2] = (x[i + 2] as number) + v2;
          out[i + 3] = (x[i + 3] as number) + v3;
        }
        break;
      case 1:
        for (let i = c; i < n; i += cols) {
          out[i] = (x[i] as number) - v0;
          out[i + 1] = (x[i + 1] as number) - v1;
          out[i + 2] = (x[i + 2] as number) - v2;
          out[i + 3] = (x[i + 3] as number) - v3;
        }
        break;
      case 2:
        for (let i = c; i < n; i += cols) {
          out[i] = (x[i] as number) * v0;
          out[i + 1] = (x[i + 1] as number) * v1;
          out[i + 2] = (x[i + 2] as number) * v2;
          out[i + 3] = (x[i + 3] as number) * v3;
        }
        break;
      case 3:
        for (let i = c; i < n; i += cols) {
          out[i] = (x[i] as number) / v0;
          out[i + 1] = (x[i + 1] as number) / v1;
          out[i + 2] = (x[i + 2] as number) / v2;
          out[i + 3] = (x[i + 3] as number) / v3;
        }
        break;
      case 4:
        for (let i = c; i < n; i += cols) {
          out[i] = v0 - (x[i] as number);
          out[i + 1] = v1 - (x[i + 1] as number);
          out[i + 2] = v2 - (x[i + 2] as number);
          out[i + 3] = v3 - (x[i + 3] as number);
        }
        break;
      default:
        for (let i = c; i < n; i += cols) {
          out[i] = v0 / (x[i] as number);
          out[i + 1] = v1 / (x[i + 1] as number);
          out[i + 2] = v2 / (x[i + 2] as number);
          out[i + 3] = v3 / (x[i + 3] as number);
        }
    }
  }
  for (; c < cols; c++) {
    const vc = v[c] as number;
    for (let i = c; i < n; i += cols) out[i] = apply(kind, x[i] as number, vc);
  }
}
