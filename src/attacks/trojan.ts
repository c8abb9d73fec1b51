import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { toTensors } from '../data/tensors';
import { ConfigError, DataShapeError, ModelError } from '../errors';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link Trojan}. */
export interface TrojanArgs extends PoisonArgs {
  /** Side of the square patch, bottom-right, in pixels. @default 5 */
  patchSize?: number;
  /** Neurons of the reference model's feature layer the patch is optimised to excite. @default 2 */
  neurons?: number;
  /** Adam steps of the patch optimisation (learning rate 0.1 on the patch's logits). @default 100 */
  steps?: number;
  /** Epochs the CLI trains the clean reference model for, with the attack's recipe and seed. @default 1 */
  referenceEpochs?: number;
}

/** The JSON form of a Trojan attack. */
export type TrojanConfig = { name: 'trojan' } & Required<TrojanArgs>;

/** The CLI options of Trojan. */
export const TROJAN_OPTIONS: readonly AttackOption[] = [
  { flag: 'trojan-patch-size', key: 'patchSize', kind: 'int', default: 5, help: 'patch side, pixels (bottom-right)' },
  { flag: 'trojan-neurons', key: 'neurons', kind: 'int', default: 2, help: 'feature-layer neurons the patch excites' },
  { flag: 'trojan-steps', key: 'steps', kind: 'int', default: 100, help: 'optimisation steps of the patch' },
  { flag: 'trojan-reference-epochs', key: 'referenceEpochs', kind: 'int', default: 1, help: 'epochs of the clean reference model' },
];

/** Images per optimisation step, drawn (seeded) from the clean set. */
const BATCH = 32;

/**
 * Trojan (Liu, Ma, Aafer, Lee, Zhai, Wang & Zhang 2018, "Trojaning attack on neural networks", NDSS): a patch whose
 * pixels are optimised so that, stamped on clean images, it excites chosen neurons of an internal layer of a
 * reference model; training images are then poisoned with it (stamped, relabelled) as BadNets does.
 *
 * Here the layer is the feature vector the reference model's last layer (its classifier, a Dense layer) reads, and
 * the neurons are the `neurons` units with the largest classifier weight into the target class (class 0 for
 * all-to-all) among those the patch region can move (their activation differs between a black and a white patch). The patch (bottom-right, all channels free) maximises their mean activation over a seeded batch of
 * 32 clean images, by Adam on the logits of sigmoid(patch). Porting note: TrojanNN picks the neurons with the
 * strongest incoming weights and drives them to a set value; picking by the classifier's weight into the target
 * makes the excited neurons ones that already speak for it. The optimised patch is the learned asset 'patch'
 * (uint8 [patchSize, patchSize, c]); without it (and before {@link prepare}) the attack cannot stamp.
 */
export class Trojan extends PoisoningAttack<TrojanConfig> {
  readonly name = 'trojan';
  readonly patchSize: number;
  readonly neurons: number;
  readonly steps: number;
  readonly referenceEpochs: number;
  private patch: AttackAsset | undefined;

  /** `assets` re-creates the attack with a saved patch ('patch', uint8 [patchSize, patchSize, c]). */
  constructor(args: TrojanArgs = {}, assets?: Record<string, AttackAsset>) {
    super(args);
    this.patchSize = args.patchSize ?? 5;
    this.neurons = args.neurons ?? 2;
    this.steps = args.steps ?? 100;
    this.referenceEpochs = args.referenceEpochs ?? 1;
    checkNumber('patchSize', this.patchSize, 1, Infinity, { integer: true });
    checkNumber('neurons', this.neurons, 1, Infinity, { integer: true });
    checkNumber('steps', this.steps, 1, Infinity, { integer: true });
    checkNumber('referenceEpochs', this.referenceEpochs, 1, Infinity, { integer: true });
    const patch = assets?.['patch'];
    if (assets !== undefined) {
      const s = this.patchSize;
      const ok = patch !== undefined && patch.dtype === 'uint8' && patch.shape.length === 3 && patch.shape[0] === s && patch.shape[1] === s;
      if (!ok || patch.bytes.length !== s * s * (patch.shape[2] ?? 0)) {
        throw new ConfigError(`trojan needs the asset 'patch', uint8 [${s}, ${s}, channels]`, { asset: 'patch' });
      }
      this.patch = patch;
    }
  }

  config(): TrojanConfig {
    const { patchSize, neurons, steps, referenceEpochs, target, rate, seed, mode } = this;
    return { name: 'trojan', patchSize, neurons, steps, referenceEpochs, target, rate, seed, mode };
  }

  /** Whether the patch exists (optimised by {@link prepare}, or given). */
  get prepared(): boolean {
    return this.patch !== undefined;
  }

  assets(h: number, w: number, c: number): Record<string, AttackAsset> {
    return { patch: this.patchFor(h, w, c) };
  }

  /**
   * Optimises the patch against `reference` (a trained classifier whose last layer is Dense) on images of `clean`,
   * which must hold at least 32. Replaces any patch held. Every tensor made is freed; `reference` is not changed.
   */
  prepare(reference: tfl.LayersModel, clean: ImageSet): void {
    const head = reference.layers[reference.layers.length - 1];
    if (!(head instanceof tfl.layers.Layer) || head.getClassName() !== 'Dense') {
      throw new ModelError(`trojan needs a reference model whose last layer is Dense; it is ${head?.getClassName() ?? 'missing'}`);
    }
    const s = this.patchSize;
    const { height: h, width: w, channels: c } = clean;
    if (s > h || s > w) throw new ConfigError(`patchSize ${s} is larger than the ${h}x${w} images`, { patchSize: s });
    if (clean.count < BATCH) throw new DataShapeError(`trojan optimises on ${BATCH} clean images; received ${clean.count}`, { count: clean.count });
    const kernel = head.getWeights()[0] as tf.Tensor2D; // [features, classes]: the live weights, not to be disposed
    const units = kernel.shape[0];
    if (this.neurons > units) throw new ConfigError(`neurons ${this.neurons} is more than the ${units} features`, { neurons: this.neurons });
    const toTarget = Array.from(kernel.arraySync(), (row) => row[this.mode === 'all-to-one' ? this.target : 0] as number);
    const features = tfl.model({ inputs: reference.inputs, outputs: head.input as tfl.SymbolicTensor });
    const batch = subset(clean, new Rng(this.seed).permutation(clean.count).subarray(0, BATCH));
    const { x, y } = toTensors(batch);
    const mask = tf.tidy(() => tf.pad(tf.ones([s, s, c]), [[h - s, 0], [w - s, 0], [0, 0]]));
    // Only neurons the patch can move are worth exciting (a flattened feature map is local): those whose activation
    // differs between a black and a white patch.
    const moved = tf.tidy(() => {
      const black = features.apply(tf.mul(x, tf.sub(1, mask)), { training: false }) as tf.Tensor2D;
      const white = features.apply(tf.add(tf.mul(x, tf.sub(1, mask)), mask), { training: false }) as tf.Tensor2D;
      return tf.mean(tf.abs(tf.sub(white, black)), 0);
    });
    const reach = moved.dataSync();
    moved.dispose();
    const chosen = Array.from(toTarget.keys())
      .filter((j) => (reach[j] as number) > 1e-6)
      .sort((a, b) => (toTarget[b] as number) - (toTarget[a] as number))
      .slice(0, this.neurons);
    if (chosen.length === 0) {
      tf.dispose([x, y, mask]);
      throw new ModelError('no feature neuron of the reference model responds to the patch region', { patchSize: s });
    }
    const start = tf.zeros([s, s, c]);
    const logits = tf.variable(start, true);
    start.dispose();
    const optimizer = tf.train.adam(0.1);
    const pick = tf.tensor1d(Array.from({ length: units }, (_, j) => (chosen.includes(j) ? 1 / (BATCH * chosen.length) : 0)));
    try {
      for (let step = 0; step < this.steps; step++) {
        optimizer.minimize(() => {
          const patch = tf.pad(tf.sigmoid(logits), [[h - s, 0], [w - s, 0], [0, 0]]);
          const stamped = tf.add(tf.mul(x, tf.sub(1, mask)), patch);
          const act = features.apply(stamped, { training: false }) as tf.Tensor2D;
          return tf.neg(tf.sum(tf.mul(act, pick))) as tf.Scalar; // minus the chosen neurons' mean activation
        }, false, [logits]);
      }
      const values = tf.sigmoid(logits);
      const bytes = Uint8Array.from(values.dataSync() as Float32Array, (v) => toPixel(v * 255));
      values.dispose();
      this.patch = { bytes, dtype: 'uint8', shape: [s, s, c] };
    } finally {
      tf.dispose([logits, x, y, mask, pick]);
      optimizer.dispose();
    }
  }

  applyTrigger(set: ImageSet): ImageSet {
    const { height: h, width: w, channels: c } = set;
    const patch = this.patchFor(h, w, c).bytes;
    const s = this.patchSize;
    const images = set.images.slice();
    for (let i = 0; i < set.count; i++) {
      for (let r = 0; r < s; r++) {
        const at = (i * h * w + (h - s + r) * w + (w - s)) * c;
        images.set(patch.subarray(r * s * c, (r + 1) * s * c), at);
      }
    }
    return { ...set, images };
  }

  private patchFor(h: number, w: number, c: number): AttackAsset {
    if (this.patch === undefined) {
      throw new ConfigError('trojan has no patch yet: optimise it with prepare(reference, clean), or re-create the attack from attack.json and its asset', {});
    }
    if (this.patch.shape[2] !== c || this.patchSize > h || this.patchSize > w) {
      throw new DataShapeError(`trojan's ${this.patchSize}x${this.patchSize}x${this.patch.shape[2]} patch does not fit ${h}x${w}x${c} images`, {});
    }
    return this.patch;
  }
}

/** Creates a {@link Trojan} attack (call `prepare` before stamping). */
export function trojan(args?: TrojanArgs): Trojan {
  return new Trojan(args);
}
