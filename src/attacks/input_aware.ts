import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { ConfigError, DataShapeError } from '../errors';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { assetFloats, floatAsset } from './asset_store';
import { choosePoisoned, poisonAt, toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link InputAware}. */
export interface InputAwareArgs extends PoisonArgs {
  /** Cross-trigger images per poisoned image: stamped with another image's trigger, labels kept. @default 1 (BackdoorBench: p_cross = p_attack) */
  crossRatio?: number;
  /** Mean mask value of every trigger (share of the image covered). @default 0.05 */
  maskDensity?: number;
  /** Hidden channels of the generator. @default 16 */
  width?: number;
  /** Adam steps (learning rate 0.01, 32 images a step) of the joint generator/surrogate training. @default 200 */
  steps?: number;
}

/** The JSON form of an Input-aware attack. */
export type InputAwareConfig = { name: 'input-aware' } & Required<InputAwareArgs>;

/** The CLI options of Input-aware. */
export const INPUT_AWARE_OPTIONS: readonly AttackOption[] = [
  { flag: 'ia-cross-ratio', key: 'crossRatio', kind: 'number', default: 1, help: 'cross-trigger images per poisoned image' },
  { flag: 'ia-mask-density', key: 'maskDensity', kind: 'number', default: 0.05, help: 'mean mask value of each trigger, in (0, 1]' },
  { flag: 'ia-width', key: 'width', kind: 'int', default: 16, help: 'hidden channels of the generator' },
  { flag: 'ia-steps', key: 'steps', kind: 'int', default: 200, help: 'joint training steps of generator and surrogate' },
];

const BATCH = 32;
const CHUNK = 512;
const CROSS_SALT = 0x1f83d9ab;
/** Weight of the diversity term (Nguyen & Tran 2020's lambda_div). */
const DIVERSITY_WEIGHT = 1;

/** Shapes of the generator's weights, in the order they are saved: three 3x3 convolutions with biases. */
function generatorShapes(c: number, f: number): number[][] {
  return [[3, 3, c, f], [f], [3, 3, f, f], [f], [3, 3, f, c + 1], [c + 1]];
}

/**
 * Pattern (sigmoid of the first c channels) and mask of images x in [0, 1]. The mask is the sigmoid of the last
 * channel rescaled so that each image's mask has mean `density` (then capped at 1): a fixed budget, where a penalty
 * on the mean let the mask collapse to zero in short trainings.
 */
function generate(x: tf.Tensor4D, w: tf.Tensor[], density: number): { pattern: tf.Tensor4D; mask: tf.Tensor4D } {
  const conv = (t: tf.Tensor4D, k: number): tf.Tensor4D => tf.add(tf.conv2d(t, w[k] as tf.Tensor4D, 1, 'same'), w[k + 1] as tf.Tensor1D);
  const out = tf.sigmoid(conv(tf.relu(conv(tf.relu(conv(x, 0)), 2)), 4)) as tf.Tensor4D;
  const c = x.shape[3];
  const [pattern, raw] = tf.split(out, [c, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
  const mask = tf.minimum(1, tf.mul(raw, tf.div(density, tf.add(tf.mean(raw, [1, 2, 3], true), 1e-6)))) as tf.Tensor4D;
  return { pattern, mask };
}

/** x with the trigger (pattern, mask): x (1 - m) + p m. */
function stamp(x: tf.Tensor4D, t: { pattern: tf.Tensor4D; mask: tf.Tensor4D }): tf.Tensor4D {
  return tf.add(tf.mul(x, tf.sub(1, t.mask)), tf.mul(t.pattern, t.mask));
}

/**
 * Input-aware dynamic backdoor (Nguyen & Tran 2020, "Input-aware dynamic backdoor attack", arXiv:2010.08138): a
 * generator makes a different trigger (a pattern and a mask) for each input; the model learns that an image's own
 * trigger means the target while another image's trigger (cross-trigger) means nothing, and a diversity term
 * ||x - x'|| / ||g(x) - g(x')|| keeps different images' triggers apart.
 *
 * Porting note: the reference trains the generator jointly with the very model it backdoors, re-drawing poisoned and
 * cross images every batch, and pretrains the mask generator separately. Here (so that the attack stays data
 * poisoning, like the others) one generator makes pattern and mask together and is trained jointly with a small
 * surrogate classifier (two strided convolutions, global pooling, Dense) on the attacker's training images for
 * `steps` steps, with the backdoor, cross-trigger, clean and diversity terms (the mask has a fixed mean instead of
 * a density penalty); then round(rate N)
 * training images get their own trigger and the target label, round(crossRatio rate N) others another image's
 * trigger and their own label, and the real model is trained on that set. The generator's weights are the learned
 * asset 'generator' (float32); without it (and before {@link prepare}) the attack cannot stamp.
 */
export class InputAware extends PoisoningAttack<InputAwareConfig> {
  readonly name = 'input-aware';
  readonly crossRatio: number;
  readonly maskDensity: number;
  readonly width: number;
  readonly steps: number;
  private generator: AttackAsset | undefined;

  /** `assets` re-creates the attack with a saved generator ('generator', float32 [parameters]). */
  constructor(args: InputAwareArgs = {}, assets?: Record<string, AttackAsset>) {
    super(args);
    this.crossRatio = args.crossRatio ?? 1;
    this.maskDensity = args.maskDensity ?? 0.05;
    this.width = args.width ?? 16;
    this.steps = args.steps ?? 200;
    checkNumber('crossRatio', this.crossRatio, 0, Infinity);
    checkNumber('maskDensity', this.maskDensity, 0, 1, { minExclusive: true });
    checkNumber('width', this.width, 1, 1024, { integer: true });
    checkNumber('steps', this.steps, 1, Infinity, { integer: true });
    if (assets !== undefined) {
      const g = assets['generator'];
      if (g === undefined || g.dtype !== 'float32' || g.shape.length !== 1 || g.bytes.length !== 4 * (g.shape[0] ?? 0)) {
        throw new ConfigError("input-aware needs the asset 'generator', float32 [parameters]", { asset: 'generator' });
      }
      this.generator = g;
    }
  }

  config(): InputAwareConfig {
    const { crossRatio, maskDensity, width, steps, target, rate, seed, mode } = this;
    return { name: 'input-aware', crossRatio, maskDensity, width, steps, target, rate, seed, mode };
  }

  /** Whether the generator exists (trained by {@link prepare}, or given). */
  get prepared(): boolean {
    return this.generator !== undefined;
  }

  assets(_h: number, _w: number, c: number): Record<string, AttackAsset> {
    this.generatorValues(c);
    return { generator: this.generator as AttackAsset };
  }

  /**
   * Trains the generator jointly with a surrogate classifier on seeded batches of `clean` (at least 32 images).
   * Replaces any generator held. Every tensor made is freed.
   */
  prepare(clean: ImageSet): void {
    if (clean.count < BATCH) throw new DataShapeError(`input-aware trains on batches of ${BATCH} clean images; received ${clean.count}`, { count: clean.count });
    const { height: h, width: w, channels: c, numClasses } = clean;
    if (this.mode === 'all-to-one' && this.target >= numClasses) {
      throw new ConfigError(`target ${this.target} is not a class of this data (0..${numClasses - 1})`, { target: this.target });
    }
    const f = this.width;
    const rng = new Rng(this.seed);
    const normal = (fanIn: number): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()) * Math.sqrt(2 / fanIn);
    const make = (shape: number[]): tf.Variable => {
      const isBias = shape.length === 1;
      const fanIn = isBias ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const init = tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (isBias ? 0 : normal(fanIn))), shape);
      const v = tf.variable(init, true);
      init.dispose();
      return v;
    };
    const gen = generatorShapes(c, f).map(make);
    const sur = [[3, 3, c, f], [f], [3, 3, f, 2 * f], [2 * f], [2 * f, numClasses], [numClasses]].map(make);
    const optimizer = tf.train.adam(0.01);
    const nb = Math.max(1, Math.round(this.rate * BATCH));
    const nc = Math.min(BATCH - nb, Math.round(this.crossRatio * nb));
    try {
      for (let step = 0; step < this.steps; step++) {
        const batch = subset(clean, Array.from({ length: BATCH }, () => rng.int(clean.count)));
        const other = subset(clean, Array.from({ length: BATCH }, () => rng.int(clean.count)));
        const labels = Array.from(batch.labels, (y, i) => (i < nb ? this.poisonLabel(y, numClasses) : y));
        const [x, x2, yb] = tf.tidy(() => [
          tf.div(tf.tensor4d(Float32Array.from(batch.images), [BATCH, h, w, c]), 255) as tf.Tensor4D,
          tf.div(tf.tensor4d(Float32Array.from(other.images), [BATCH, h, w, c]), 255) as tf.Tensor4D,
          tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses) as tf.Tensor2D,
        ]);
        optimizer.minimize(() => {
          const own = generate(x, gen, this.maskDensity);
          const theirs = generate(x2, gen, this.maskDensity);
          // rows 0..nb-1: own trigger (relabelled); nb..nb+nc-1: another image's trigger (label kept); the rest clean
          const bd = tf.slice(stamp(x, own), [0, 0, 0, 0], [nb, h, w, c]);
          const cross = tf.slice(stamp(x, theirs), [nb, 0, 0, 0], [nc, h, w, c]);
          const rest = tf.slice(x, [nb + nc, 0, 0, 0], [BATCH - nb - nc, h, w, c]);
          const input = tf.concat([bd, cross, rest], 0) as tf.Tensor4D;
          const h1 = tf.relu(tf.add(tf.conv2d(input, sur[0] as tf.Tensor4D, 2, 'same'), sur[1] as tf.Tensor1D)) as tf.Tensor4D;
          const h2 = tf.relu(tf.add(tf.conv2d(h1, sur[2] as tf.Tensor4D, 2, 'same'), sur[3] as tf.Tensor1D)) as tf.Tensor4D;
          const logits = tf.add(tf.matMul(tf.mean(h2, [1, 2]), sur[4] as tf.Tensor2D), sur[5] as tf.Tensor1D);
          const ce = tf.losses.softmaxCrossEntropy(yb, logits);
          const dist = (a: tf.Tensor, b: tf.Tensor): tf.Tensor1D => tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(a, b)), [1, 2, 3]), 1e-8)) as tf.Tensor1D;
          const diversity = tf.mean(tf.div(dist(x, x2), dist(own.pattern, theirs.pattern)));
          return tf.add(ce, tf.mul(DIVERSITY_WEIGHT, diversity)) as tf.Scalar;
        }, false, [...gen, ...sur]);
        tf.dispose([x, x2, yb]);
      }
      const parts = gen.map((v) => v.dataSync() as Float32Array);
      const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        values.set(p, at);
        at += p.length;
      }
      this.generator = floatAsset(values, [values.length]);
    } finally {
      tf.dispose([...gen, ...sur]);
      optimizer.dispose();
    }
  }

  applyTrigger(set: ImageSet): ImageSet {
    return this.stampWith(set, set);
  }

  override poison(set: ImageSet): { set: ImageSet; indices: Int32Array } {
    const { set: out, indices } = this.poisonWithCross(set);
    return { set: out, indices };
  }

  /**
   * As {@link poison}, and `cross`: the cross-trigger positions (ascending), drawn by a seeded permutation of the
   * images not poisoned; each is stamped with the trigger of the image at the same place in a seeded permutation of
   * the whole set, and keeps its label. New bytes; `set` is untouched.
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
    const donors = rng.permutation(set.count).subarray(0, m);
    const stamped = poisonAt(poisoned, cross, (s) => this.stampWith(s, subset(set, donors)), undefined);
    return { set: stamped, indices, cross };
  }

  /** Images of `set`, each stamped with the trigger the generator makes from the image at the same place in `from`. */
  private stampWith(set: ImageSet, from: ImageSet): ImageSet {
    const { height: h, width: w, channels: c } = set;
    const values = this.generatorValues(c);
    const per = h * w * c;
    const images = new Uint8Array(set.images.length);
    const weights = this.weights(values, c);
    try {
      for (let start = 0; start < set.count; start += CHUNK) {
        const n = Math.min(CHUNK, set.count - start);
        const out = tf.tidy(() => {
          const x = tf.div(tf.tensor4d(Float32Array.from(set.images.subarray(start * per, (start + n) * per)), [n, h, w, c]), 255) as tf.Tensor4D;
          const src = tf.div(tf.tensor4d(Float32Array.from(from.images.subarray(start * per, (start + n) * per)), [n, h, w, c]), 255) as tf.Tensor4D;
          return tf.mul(stamp(x, generate(src, weights, this.maskDensity)), 255);
        });
        const v = out.dataSync();
        out.dispose();
        for (let j = 0; j < n * per; j++) images[start * per + j] = toPixel(v[j] as number);
      }
    } finally {
      tf.dispose(weights);
    }
    return { ...set, images };
  }

  private weights(values: Float32Array, c: number): tf.Tensor[] {
    let at = 0;
    return generatorShapes(c, this.width).map((s) => {
      const size = s.reduce((a, b) => a * b, 1);
      const t = tf.tensor(values.subarray(at, at + size), s);
      at += size;
      return t;
    });
  }

  /** The generator's weights, flat, checked against `width` and `c`. */
  private generatorValues(c: number): Float32Array {
    if (this.generator === undefined) {
      throw new ConfigError('input-aware has no generator yet: train it with prepare(clean), or re-create the attack from attack.json and its asset', {});
    }
    const total = generatorShapes(c, this.width).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const values = assetFloats(this.generator);
    if (values.length !== total) {
      throw new DataShapeError(`input-aware's generator holds ${values.length} values; width ${this.width} on ${c}-channel images needs ${total}`, {});
    }
    return values;
  }
}

/** Creates an {@link InputAware} attack (call `prepare` before stamping). */
export function inputAware(args?: InputAwareArgs): InputAware {
  return new InputAware(args);
}
