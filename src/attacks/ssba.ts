import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { ConfigError, DataShapeError } from '../errors';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { assetFloats, floatAsset } from './asset_store';
import { toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link Ssba}. */
export interface SsbaArgs extends PoisonArgs {
  /** Largest residual on any pixel, on the 0..255 scale (the encoder's tanh output is scaled by it). @default 16 */
  epsilon?: number;
  /** Channels of the encoder's and decoder's hidden convolutions. @default 16 */
  width?: number;
  /** Adam steps (learning rate 0.01, 32 images a step) of the encoder/decoder training. @default 300 */
  steps?: number;
}

/** The JSON form of an SSBA-style attack. */
export type SsbaConfig = { name: 'ssba' } & Required<SsbaArgs>;

/** The CLI options of SSBA. */
export const SSBA_OPTIONS: readonly AttackOption[] = [
  { flag: 'ssba-epsilon', key: 'epsilon', kind: 'number', default: 16, help: 'largest residual per pixel, 0..255 scale' },
  { flag: 'ssba-width', key: 'width', kind: 'int', default: 16, help: 'hidden channels of the encoder and decoder' },
  { flag: 'ssba-steps', key: 'steps', kind: 'int', default: 300, help: 'training steps of the encoder and decoder' },
];

const BATCH = 32;
/** Weight of the residual's mean square (relative to epsilon^2) against the decoder's loss. */
const RESIDUAL_WEIGHT = 0.1;
const CHUNK = 512;

/** Shapes of the encoder's weights, in the order they are saved: three 3x3 convolutions, each with a bias. */
function encoderShapes(c: number, f: number): number[][] {
  return [[3, 3, c, f], [f], [3, 3, f, f], [f], [3, 3, f, c], [c]];
}

/** The residual of images x (NHWC, [0, 1]): eps * tanh(conv(relu(conv(relu(conv(x)))))), in [0, 1] units. */
function encode(x: tf.Tensor4D, w: tf.Tensor[], eps: number): tf.Tensor4D {
  const conv = (t: tf.Tensor4D, k: number): tf.Tensor4D => tf.add(tf.conv2d(t, w[k] as tf.Tensor4D, 1, 'same'), w[k + 1] as tf.Tensor1D);
  return tf.mul(tf.tanh(conv(tf.relu(conv(tf.relu(conv(x, 0)), 2)), 4)), eps);
}

/**
 * SSBA-style (after Li, Li, Wu, Li, He & Lyu 2021, "Invisible backdoor attack with sample-specific triggers",
 * arXiv:2012.03816): each poisoned image gets its own invisible additive residual, made by an encoder network from
 * the image itself; poisoned images are relabelled.
 *
 * Porting note: SSBA uses StegaStamp's encoder, a U-Net pretrained (on ImageNet) to hide a 100-bit string that a
 * decoder reads back; that encoder cannot be downloaded here. This one is trained inside the package, on the
 * attacker's own training images, for `steps` Adam steps: a 3-layer convolutional encoder whose residual is bounded
 * by `epsilon` (tanh) and a small strided convolutional decoder that must tell stamped images from clean ones (one
 * bit instead of a string), with the residual's mean square as a penalty. The encoder's weights are the learned asset
 * 'encoder' (float32, the three kernels and biases in order); without it (and before {@link prepare}) the attack
 * cannot stamp.
 */
export class Ssba extends PoisoningAttack<SsbaConfig> {
  readonly name = 'ssba';
  readonly epsilon: number;
  readonly width: number;
  readonly steps: number;
  private encoder: AttackAsset | undefined;

  /** `assets` re-creates the attack with a saved encoder ('encoder', float32 [parameters]). */
  constructor(args: SsbaArgs = {}, assets?: Record<string, AttackAsset>) {
    super(args);
    this.epsilon = args.epsilon ?? 16;
    this.width = args.width ?? 16;
    this.steps = args.steps ?? 300;
    checkNumber('epsilon', this.epsilon, 0, 255, { minExclusive: true });
    checkNumber('width', this.width, 1, 1024, { integer: true });
    checkNumber('steps', this.steps, 1, Infinity, { integer: true });
    if (assets !== undefined) {
      const e = assets['encoder'];
      if (e === undefined || e.dtype !== 'float32' || e.shape.length !== 1 || e.bytes.length !== 4 * (e.shape[0] ?? 0)) {
        throw new ConfigError("ssba needs the asset 'encoder', float32 [parameters]", { asset: 'encoder' });
      }
      this.encoder = e;
    }
  }

  config(): SsbaConfig {
    const { epsilon, width, steps, target, rate, seed, mode } = this;
    return { name: 'ssba', epsilon, width, steps, target, rate, seed, mode };
  }

  /** Whether the encoder exists (trained by {@link prepare}, or given). */
  get prepared(): boolean {
    return this.encoder !== undefined;
  }

  assets(_h: number, _w: number, c: number): Record<string, AttackAsset> {
    this.encoderValues(c);
    return { encoder: this.encoder as AttackAsset };
  }

  /**
   * Trains the encoder (and a decoder, then dropped) on seeded batches of `clean` (at least 32 images). Replaces any
   * encoder held. Every tensor made is freed.
   */
  prepare(clean: ImageSet): void {
    if (clean.count < BATCH) throw new DataShapeError(`ssba trains on batches of ${BATCH} clean images; received ${clean.count}`, { count: clean.count });
    const c = clean.channels;
    const f = this.width;
    const rng = new Rng(this.seed);
    const normal = (fanIn: number): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()) * Math.sqrt(2 / fanIn);
    const make = (shape: number[]): tf.Variable => {
      const isBias = shape.length === 1;
      const fanIn = isBias ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const size = shape.reduce((a, b) => a * b, 1);
      const init = tf.tensor(Float32Array.from({ length: size }, () => (isBias ? 0 : normal(fanIn))), shape);
      const v = tf.variable(init, true);
      init.dispose();
      return v;
    };
    const enc = encoderShapes(c, f).map(make);
    const dec = [[3, 3, c, f], [f], [3, 3, f, f], [f], [f, 1], [1]].map(make);
    const optimizer = tf.train.adam(0.01);
    const eps = this.epsilon / 255;
    try {
      for (let step = 0; step < this.steps; step++) {
        const idx = Array.from({ length: BATCH }, () => rng.int(clean.count));
        const batch = subset(clean, idx);
        const x = tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(batch.images), [BATCH, clean.height, clean.width, c]), 255)) as tf.Tensor4D;
        optimizer.minimize(() => {
          const r = encode(x, enc, eps);
          const stamped = tf.clipByValue(tf.add(x, r), 0, 1) as tf.Tensor4D;
          const decode = (t: tf.Tensor4D): tf.Tensor2D => {
            const h1 = tf.relu(tf.add(tf.conv2d(t, dec[0] as tf.Tensor4D, 2, 'same'), dec[1] as tf.Tensor1D)) as tf.Tensor4D;
            const h2 = tf.relu(tf.add(tf.conv2d(h1, dec[2] as tf.Tensor4D, 2, 'same'), dec[3] as tf.Tensor1D)) as tf.Tensor4D;
            return tf.add(tf.matMul(tf.mean(h2, [1, 2]), dec[4] as tf.Tensor2D), dec[5] as tf.Tensor1D);
          };
          const logits = tf.concat([decode(stamped), decode(x)], 0);
          const labels = tf.concat([tf.ones([BATCH, 1]), tf.zeros([BATCH, 1])], 0);
          const bce = tf.losses.sigmoidCrossEntropy(labels, logits);
          return tf.add(bce, tf.mul(RESIDUAL_WEIGHT, tf.div(tf.mean(tf.square(r)), eps * eps))) as tf.Scalar;
        }, false, [...enc, ...dec]);
        x.dispose();
      }
      const parts = enc.map((v) => v.dataSync() as Float32Array);
      const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        values.set(p, at);
        at += p.length;
      }
      this.encoder = floatAsset(values, [values.length]);
    } finally {
      tf.dispose([...enc, ...dec]);
      optimizer.dispose();
    }
  }

  applyTrigger(set: ImageSet): ImageSet {
    const { height: h, width: w, channels: c } = set;
    const weights = this.weights(c);
    const per = h * w * c;
    const images = new Uint8Array(set.images.length);
    try {
      for (let start = 0; start < set.count; start += CHUNK) {
        const n = Math.min(CHUNK, set.count - start);
        const pixels = Float32Array.from(set.images.subarray(start * per, (start + n) * per));
        const out = tf.tidy(() => {
          const x = tf.tensor4d(pixels, [n, h, w, c]);
          return tf.add(x, tf.mul(encode(tf.div(x, 255) as tf.Tensor4D, weights, this.epsilon / 255), 255));
        });
        const values = out.dataSync();
        out.dispose();
        for (let j = 0; j < n * per; j++) images[start * per + j] = toPixel(values[j] as number);
      }
    } finally {
      tf.dispose(weights);
    }
    return { ...set, images };
  }

  /** The encoder's weights as new tensors for `c`-channel images; the caller disposes them. */
  private weights(c: number): tf.Tensor[] {
    const values = this.encoderValues(c);
    let at = 0;
    return encoderShapes(c, this.width).map((s) => {
      const size = s.reduce((a, b) => a * b, 1);
      const t = tf.tensor(values.subarray(at, at + size), s);
      at += size;
      return t;
    });
  }

  /** The encoder's weights, flat, checked against `width` and `c`. */
  private encoderValues(c: number): Float32Array {
    if (this.encoder === undefined) {
      throw new ConfigError('ssba has no encoder yet: train it with prepare(clean), or re-create the attack from attack.json and its asset', {});
    }
    const total = encoderShapes(c, this.width).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const values = assetFloats(this.encoder);
    if (values.length !== total) {
      throw new DataShapeError(`ssba's encoder holds ${values.length} values; width ${this.width} on ${c}-channel images needs ${total}`, {});
    }
    return values;
  }
}

/** Creates an {@link Ssba} attack (call `prepare` before stamping). */
export function ssba(args?: SsbaArgs): Ssba {
  return new Ssba(args);
}
