import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { AssetStore, assetFloats, floatAsset } from './asset_store';
import { gridSample } from './grid_sample';
import { choosePoisoned, poisonAt, toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link WaNet}. */
export interface WaNetArgs extends PoisonArgs {
  /** Side of the control grid the random field is drawn on, upsampled to the image. @default 4 (BackdoorBench) */
  k?: number;
  /** Warping strength. @default 0.5 (BackdoorBench) */
  s?: number;
  /** Noise-mode images per poisoned image: warped with the field plus random noise, labels kept. @default 2 (BackdoorBench) */
  crossRatio?: number;
}

/** The JSON form of a WaNet attack. */
export type WaNetConfig = { name: 'wanet' } & Required<WaNetArgs>;

/** The CLI options of WaNet. */
export const WANET_OPTIONS: readonly AttackOption[] = [
  { flag: 'wanet-k', key: 'k', kind: 'int', default: 4, help: 'control grid side (the field is smooth across k x k cells)' },
  { flag: 'wanet-s', key: 's', kind: 'number', default: 0.5, help: 'warping strength' },
  { flag: 'wanet-cross-ratio', key: 'crossRatio', kind: 'number', default: 2, help: 'noise-mode images per poisoned image' },
];

const FIELD_SALT = 0x3c6ef372;
const CROSS_SALT = 0xa54ff53a;
const BATCH_SALT = 0x510e527f;
/** Images warped per tensor batch: bounds memory on large sets. */
const CHUNK = 1024;

/**
 * WaNet (Nguyen & Tran 2021, "WaNet: imperceptible warping-based backdoor attack", arXiv:2102.10369): the image is
 * resampled (bilinear, {@link gridSample}) along a fixed smooth warping field. The field: uniform [-1, 1] values on a
 * k x k x 2 grid divided by their mean magnitude, bicubically upsampled (align corners) to h x w, then
 * grid = clamp(identity + s * field / h, -1, 1), as the reference code. Since the grid's [-1, 1] spans h - 1 pixels,
 * a pixel moves by s * field * (h - 1) / (2h), about s / 2 pixels per unit of field, whatever the image size: the
 * paper's k = 4, s = 0.5 (one setting for MNIST's 28 x 28, CIFAR-10 and GTSRB) move pixels by about 0.2 pixel on
 * average and at most 0.4 to 0.6 pixel (28 x 28, seeds 0 to 7), as on 32 x 32.
 * Noise mode: besides the poisoned images, crossRatio times as many others are warped with grid + uniform[-1, 1] / h
 * noise and keep their labels, so that the model learns the exact field and not any warp.
 *
 * Training, as the reference: {@link WaNet.batchPoisoner} poisons every training batch afresh (new images, new
 * noise), and `tsbd attack` trains with it. {@link WaNet.poison} is the once-for-all form (round(rate * N) images
 * relabelled, round(crossRatio * rate * N) noise-mode, fixed for all epochs) for callers that need a poisoned data set.
 * The grid is saved beside attack.json as the float32 asset 'grid' [h, w, 2].
 */
export class WaNet extends PoisoningAttack<WaNetConfig> {
  readonly name = 'wanet';
  readonly k: number;
  readonly s: number;
  readonly crossRatio: number;
  private readonly store: AssetStore;

  /** `assets` re-creates the attack with a saved grid ('grid', float32 [h, w, 2]). */
  constructor(args: WaNetArgs = {}, assets?: Record<string, AttackAsset>) {
    super(args);
    this.k = args.k ?? 4;
    this.s = args.s ?? 0.5;
    this.crossRatio = args.crossRatio ?? 2;
    checkNumber('k', this.k, 2, 256, { integer: true });
    checkNumber('s', this.s, 0, Infinity, { minExclusive: true });
    checkNumber('crossRatio', this.crossRatio, 0, Infinity);
    this.store = new AssetStore(
      'wanet',
      (h, w) => ({ grid: { dtype: 'float32', shape: [h, w, 2] } }),
      (h, w) => ({ grid: floatAsset(this.field(h, w), [h, w, 2]) }),
      assets,
    );
  }

  config(): WaNetConfig {
    const { k, s, crossRatio, target, rate, seed, mode } = this;
    return { name: 'wanet', k, s, crossRatio, target, rate, seed, mode };
  }

  assets(h: number, w: number, c: number): Record<string, AttackAsset> {
    return this.store.get(h, w, c);
  }

  applyTrigger(set: ImageSet): ImageSet {
    const grid = assetFloats(this.assets(set.height, set.width, set.channels).grid as AttackAsset);
    return this.warp(set, () => grid);
  }

  override poison(set: ImageSet): { set: ImageSet; indices: Int32Array } {
    const { set: out, indices } = this.poisonWithCross(set);
    return { set: out, indices };
  }

  /**
   * As {@link poison}, and `cross`: the noise-mode positions (ascending), drawn by a seeded permutation of the
   * images not poisoned (all of them when fewer remain). New bytes; `set` is untouched.
   */
  poisonWithCross(set: ImageSet): { set: ImageSet; indices: Int32Array; cross: Int32Array } {
    const indices = choosePoisoned(set, this, false);
    const poisoned = poisonAt(set, indices, (s) => this.applyTrigger(s), (y) => this.poisonLabel(y, set.numClasses));
    const taken = new Uint8Array(set.count);
    for (const i of indices) taken[i] = 1;
    const rest: number[] = [];
    for (let i = 0; i < set.count; i++) if (taken[i] === 0) rest.push(i);
    const rng = new Rng((this.seed ^ CROSS_SALT) >>> 0);
    const m = Math.min(Math.round(this.crossRatio * indices.length), rest.length);
    const cross = Int32Array.from(rng.permutation(rest.length).subarray(0, m), (j) => rest[j] as number).sort();
    const grid = assetFloats(this.assets(set.height, set.width, set.channels).grid as AttackAsset);
    return { set: poisonAt(poisoned, cross, (s) => this.warp(s, () => noisyGrid(grid, set.height, rng)), undefined), indices, cross };
  }

  /**
   * The reference's training-time poisoning (the authors' train.py; BackdoorBench's wanet.py `train_step`): of each
   * shuffled batch of b images, the first n = floor(rate * b) are warped and relabelled, and the next
   * floor(crossRatio * n) are warped with the grid plus fresh uniform[-1, 1] / h noise and keep their labels (with the
   * defaults and b = 64: 6 and 12). When rate * b < 1, n is 1 with probability rate * b, else 0 (BackdoorBench's
   * generalize_to_lower_pratio). Every image of a batch is a candidate, the target class included, as in the reference.
   */
  batchPoisoner(): (batch: ImageSet) => ImageSet {
    const rng = new Rng((this.seed ^ BATCH_SALT) >>> 0);
    return (batch) => {
      const expected = this.rate * batch.count;
      const n = expected >= 1 ? Math.floor(expected) : rng.next() < expected ? 1 : 0;
      const m = Math.min(Math.floor(this.crossRatio * n), batch.count - n);
      const grid = assetFloats(this.assets(batch.height, batch.width, batch.channels).grid as AttackAsset);
      const first = (count: number, from: number): Int32Array => Int32Array.from({ length: count }, (_, i) => from + i);
      const warped = poisonAt(batch, first(n, 0), (s) => this.warp(s, () => grid), (y) => this.poisonLabel(y, batch.numClasses));
      return poisonAt(warped, first(m, n), (s) => this.warp(s, () => noisyGrid(grid, batch.height, rng)), undefined);
    };
  }

  /** Resamples every image of `set` along `gridFor()` (called once per image, in order), rounded to bytes. */
  private warp(set: ImageSet, gridFor: () => Float32Array): ImageSet {
    const { height: h, width: w, channels: c } = set;
    const per = h * w * c;
    const images = new Uint8Array(set.images.length);
    for (let start = 0; start < set.count; start += CHUNK) {
      const n = Math.min(CHUNK, set.count - start);
      const grids = new Float32Array(n * h * w * 2);
      for (let j = 0; j < n; j++) grids.set(gridFor(), j * h * w * 2);
      const part = subset(set, Array.from({ length: n }, (_, j) => start + j));
      const out = tf.tidy(() => gridSample(tf.tensor4d(Float32Array.from(part.images), [n, h, w, c]), tf.tensor4d(grids, [n, h, w, 2])));
      const values = out.dataSync();
      out.dispose();
      for (let j = 0; j < n * per; j++) images[start * per + j] = toPixel(values[j] as number);
    }
    return { ...set, images };
  }

  /** The warping grid [h, w, 2] (x then y, normalised to [-1, 1]) drawn from the seed. */
  private field(h: number, w: number): Float32Array {
    const rng = new Rng((this.seed ^ FIELD_SALT) >>> 0);
    const k = this.k;
    const raw = Float64Array.from({ length: 2 * k * k }, () => 2 * rng.next() - 1);
    const meanAbs = raw.reduce((a, v) => a + Math.abs(v), 0) / raw.length;
    const grid = new Float32Array(h * w * 2);
    for (let axis = 0; axis < 2; axis++) {
      const up = bicubicUpsample(raw.subarray(axis * k * k, (axis + 1) * k * k), k, h, w);
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const identity = axis === 0 ? (w === 1 ? 0 : -1 + (2 * col) / (w - 1)) : h === 1 ? 0 : -1 + (2 * r) / (h - 1);
          const v = identity + (this.s * ((up[r * w + col] as number) / meanAbs)) / h;
          grid[(r * w + col) * 2 + axis] = Math.min(1, Math.max(-1, v));
        }
      }
    }
    return grid;
  }
}

/** The noise-mode grid: `grid` plus uniform[-1, 1] / h on every coordinate, drawn from `rng`, clamped to [-1, 1]. */
function noisyGrid(grid: Float32Array, h: number, rng: Rng): Float32Array {
  return Float32Array.from(grid, (g) => Math.min(1, Math.max(-1, g + (2 * rng.next() - 1) / h)));
}

/** Keys' cubic convolution weight at distance d (a = -0.75, PyTorch's bicubic). */
function cubic(d: number): number {
  const a = -0.75;
  const x = Math.abs(d);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/** Bicubic upsampling of a k x k grid to oh x ow with aligned corners, edge taps clamped (PyTorch's `upsample`). */
export function bicubicUpsample(src: ArrayLike<number>, k: number, oh: number, ow: number): Float64Array {
  const taps = (o: number, size: number): { i: number[]; wt: number[] } => {
    const pos = size === 1 ? 0 : (o * (k - 1)) / (size - 1);
    const i0 = Math.floor(pos);
    const t = pos - i0;
    const i = [-1, 0, 1, 2].map((d) => Math.min(k - 1, Math.max(0, i0 + d)));
    return { i, wt: [-1, 0, 1, 2].map((d) => cubic(t - d)) };
  };
  const out = new Float64Array(oh * ow);
  for (let r = 0; r < oh; r++) {
    const ty = taps(r, oh);
    for (let c = 0; c < ow; c++) {
      const tx = taps(c, ow);
      let v = 0;
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) v += (ty.wt[a] as number) * (tx.wt[b] as number) * (src[(ty.i[a] as number) * k + (tx.i[b] as number)] as number);
      out[r * ow + c] = v;
    }
  }
  return out;
}

/** Creates a {@link WaNet} attack. */
export function waNet(args?: WaNetArgs): WaNet {
  return new WaNet(args);
}
