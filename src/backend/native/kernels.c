/*
 * tfjs-tsbd's own WebAssembly SIMD kernels for training on the wasm backend.
 *
 * Built by `npm run build:kernels` (clang --target=wasm32 -msimd128, see scripts/build_kernels.js) into
 * src/backend/native/kernels_wasm.ts. The module imports the tfjs wasm backend's own memory and works on tensors
 * in place, so it must not own any memory: no static data, no globals and no stack frames in linear memory (the
 * build script checks the compiled module for all three). Every pointer is a byte offset into that memory; every
 * tensor is float32, NHWC, row-major. The caller checks shapes; these functions trust them.
 */
#include <wasm_simd128.h>

typedef __SIZE_TYPE__ size_t;

#define EXPORT(name) __attribute__((export_name(#name))) name

static void zero(float *p, int count) { __builtin_memset(p, 0, (size_t)count * sizeof(float)); }

/* First output column q in [0, ow) whose input column q*stride + offset is >= 0. */
static int first_inside(int offset, int stride) {
  return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
}

/* One past the last output column q whose input column q*stride + offset is < size (at most ow). */
static int end_inside(int offset, int stride, int size, int ow) {
  if (offset >= size) return 0;
  int end = (size - 1 - offset) / stride + 1;
  return end < ow ? end : ow;
}

/*
 * Adds Σ_q x[q*xstep + c0 + i] · dy[q*co + o0 + j] over q in [q0, q1) to dw[(c0 + i)*co + o0 + j], for a tile of
 * CI input channels (1 or 4) by CO output channels (4 or 8). The sums stay in registers for the whole row.
 */
#define TILE(CI, CO)                                                                                          \
  static void tile_##CI##x##CO(float *dw, const float *x, int xstep, const float *dy, int co, int q0, int q1) { \
    v128_t acc[CI][CO / 4];                                                                                   \
    for (int i = 0; i < CI; i++)                                                                              \
      for (int j = 0; j < CO / 4; j++) acc[i][j] = wasm_f32x4_splat(0.0f);                                    \
    const float *xp = x + q0 * xstep;                                                                         \
    const float *dp = dy + q0 * co;                                                                           \
    for (int q = q0; q < q1; q++, xp += xstep, dp += co) {                                                    \
      v128_t d[CO / 4];                                                                                       \
      for (int j = 0; j < CO / 4; j++) d[j] = wasm_v128_load(dp + 4 * j);                                     \
      for (int i = 0; i < CI; i++) {                                                                          \
        v128_t xi = wasm_v128_load32_splat(xp + i);                                                           \
        for (int j = 0; j < CO / 4; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(xi, d[j]));     \
      }                                                                                                       \
    }                                                                                                         \
    for (int i = 0; i < CI; i++)                                                                              \
      for (int j = 0; j < CO / 4; j++) {                                                                      \
        float *out = dw + i * co + 4 * j;                                                                     \
        wasm_v128_store(out, wasm_f32x4_add(wasm_v128_load(out), acc[i][j]));                                 \
      }                                                                                                       \
  }

TILE(4, 8)
TILE(4, 4)
TILE(1, 8)
TILE(1, 4)

/*
 * Filter gradient of a 2-D convolution:
 *   dw[r, s, c, o] = Σ_{b, y, q} x[b, y*sh + r - pt, q*sw + s - pl, c] · dy[b, y, q, o],
 * terms whose x position falls in the padding being zero. x is [n, h, w, ci], dy [n, oh, ow, co], dw [kh, kw, ci,
 * co]. Needs co % 4 == 0. Each (r, s) and tile of channels runs over one output row at a time, so the rows in use
 * stay in the first-level cache.
 */
void EXPORT(conv2d_filter_grad)(float *dw, const float *x, const float *dy, int n, int h, int w, int ci, int oh,
                                int ow, int co, int kh, int kw, int sh, int sw, int pt, int pl) {
  zero(dw, kh * kw * ci * co);
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      const float *dyrow = dy + ((size_t)(b * oh + y) * ow) * co;
      for (int r = 0; r < kh; r++) {
        int ih = y * sh + r - pt;
        if (ih < 0 || ih >= h) continue;
        const float *xrow = x + ((size_t)(b * h + ih) * w) * ci;
        for (int s = 0; s < kw; s++) {
          int offset = s - pl;
          int q0 = first_inside(offset, sw);
          int q1 = end_inside(offset, sw, w, ow);
          if (q0 >= q1) continue;
          /* x at output column q is xrow[(q*sw + offset)*ci + c]: shift the row so the tile indexes it by q. */
          const float *xs = xrow + offset * ci;
          float *dwk = dw + (size_t)(r * kw + s) * ci * co;
          int c = 0;
          for (; c + 4 <= ci; c += 4) {
            int o = 0;
            for (; o + 8 <= co; o += 8) tile_4x8(dwk + c * co + o, xs + c, sw * ci, dyrow + o, co, q0, q1);
            for (; o < co; o += 4) tile_4x4(dwk + c * co + o, xs + c, sw * ci, dyrow + o, co, q0, q1);
          }
          for (; c < ci; c++) {
            int o = 0;
            for (; o + 8 <= co; o += 8) tile_1x8(dwk + c * co + o, xs + c, sw * ci, dyrow + o, co, q0, q1);
            for (; o < co; o += 4) tile_1x4(dwk + c * co + o, xs + c, sw * ci, dyrow + o, co, q0, q1);
          }
        }
      }
    }
  }
}

/*
 * MaxPool gradient, NHWC: each dy value goes to the first position, in row-major window order, that holds its
 * window's strict maximum (the cpu backend's choice; ties such as the zeros after a ReLU go to the first); windows
 * that overlap add up; padding is skipped; a window with no value above -Infinity (all NaN) passes nothing.
 * Four channels at a time.
 */
void EXPORT(max_pool_grad)(float *dx, const float *x, const float *dy, int n, int h, int w, int c, int oh, int ow,
                           int fh, int fw, int sh, int sw, int pt, int pl) {
  zero(dx, n * h * w * c);
  for (int b = 0; b < n; b++) {
    for (int yr = 0; yr < oh; yr++) {
      int r0 = yr * sh - pt, r1 = r0 + fh;
      if (r0 < 0) r0 = 0;
      if (r1 > h) r1 = h;
      for (int yc = 0; yc < ow; yc++) {
        int c0 = yc * sw - pl, c1 = c0 + fw;
        if (c0 < 0) c0 = 0;
        if (c1 > w) c1 = w;
        const float *g = dy + ((size_t)(b * oh + yr) * ow + yc) * c;
        int d = 0;
        for (; d + 4 <= c; d += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (int r = r0; r < r1; r++) {
            for (int col = c0; col < c1; col++) {
              int p = ((b * h + r) * w + col) * c + d;
              v128_t v = wasm_v128_load(x + p);
              v128_t greater = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, greater);
              where = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(p), wasm_i32x4_make(0, 1, 2, 3)), where,
                                          greater);
            }
          }
          int at[4] = {wasm_i32x4_extract_lane(where, 0), wasm_i32x4_extract_lane(where, 1),
                       wasm_i32x4_extract_lane(where, 2), wasm_i32x4_extract_lane(where, 3)};
          for (int k = 0; k < 4; k++)
            if (at[k] >= 0) dx[at[k]] += g[d + k];
        }
        for (; d < c; d++) {
          float best = -__builtin_inff();
          int where = -1;
          for (int r = r0; r < r1; r++) {
            for (int col = c0; col < c1; col++) {
              int p = ((b * h + r) * w + col) * c + d;
              if (x[p] > best) {
                best = x[p];
                where = p;
              }
            }
          }
          if (where >= 0) dx[where] += g[d];
        }
      }
    }
  }
}
