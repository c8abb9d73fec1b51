import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, ModelError } from '../errors';
import { checkNumber } from '../internal/assert';
import type { NwcScores } from '../hooks/nwc';
import { findKernel } from '../hooks/scorable_layers';

/** Which kernel elements zero re-initialisation sets to 0. Plain data: no tensors. */
export interface ReinitMask {
  /** The neuron fraction n the mask was built with, in [0,1]. */
  fraction: number;
  /** The weight fraction m the mask was built with, in [0,1]. */
  weightFraction: number;
  /** Number of neurons selected: `floor(fraction * totalNeurons)` (see {@link reinitMask}). */
  neurons: number;
  /** Number of kernel elements marked for zeroing (sum of all masks). */
  weights: number;
  /** Per touched layer (by name), one byte per kernel element in flat row-major order: 1 = zero this element. */
  layers: Map<string, Uint8Array>;
}

/** Guards floor() against products such as 0.29 * 100 = 28.999999999999996. */
const EPS = 1e-9;

/** How many of `total` ranked neurons the fraction n selects: `floor(n * total)`, guarded against float rounding. */
export function neuronCount(fraction: number, total: number): number {
  return Math.min(total, Math.floor(fraction * total + EPS));
}

/**
 * Builds the zero re-initialisation mask of TSBD stage 1c.
 *
 * 1. Neurons: the first `k = floor(fraction * N + 1e-9)` of the global ranking (N = all ranked neurons). A fraction
 *    that gives k = 0 yields an empty mask (nothing zeroed), not an error.
 * 2. Pool: the per-weight |change| of ALL incoming kernel weights of those k neurons.
 * 3. Weights: the `floor(weightFraction * P + 1e-9)` pooled weights with the largest |change| (P = pool size) are
 *    marked. Ties in |change| go to the earlier pool position; the pool lists the neurons in ranking order and, within
 *    a neuron, its weights in flat kernel order. So the result is deterministic.
 *
 * Porting note: the reference takes the top n fraction and top m fraction by torch sorting, which does not define
 * tie order; we use floor (Python's int()) for both counts and the stable position rule above.
 *
 * @param fraction n, in [0,1].
 * @param weightFraction m, in [0,1]. @default 0.7
 */
export function reinitMask(scores: NwcScores, fraction: number, weightFraction = 0.7): ReinitMask {
  checkNumber('fraction', fraction, 0, 1);
  checkNumber('weightFraction', weightFraction, 0, 1);
  const k = neuronCount(fraction, scores.ranking.length);
  const byName = new Map(scores.layers.map((l) => [l.layerName, l]));
  // Pool: parallel arrays of (layer index in byName order, element index, |change|).
  const poolLayer: string[] = [];
  const poolIndex: number[] = [];
  const poolValue: number[] = [];
  for (let r = 0; r < k; r++) {
    const ranked = scores.ranking[r] as (typeof scores.ranking)[number];
    const layer = byName.get(ranked.layer);
    if (layer === undefined) throw new ModelError(`NWC ranking names unknown layer '${ranked.layer}'`);
    for (let i = ranked.neuron; i < layer.absDelta.length; i += layer.numNeurons) {
      poolLayer.push(layer.layerName);
      poolIndex.push(i);
      poolValue.push(layer.absDelta[i] as number);
    }
  }
  const pooled = poolValue.length;
  const count = Math.min(pooled, Math.floor(weightFraction * pooled + EPS));
  const order = Array.from({ length: pooled }, (_, i) => i);
  order.sort((a, b) => (poolValue[b] as number) - (poolValue[a] as number) || a - b);
  const layers = new Map<string, Uint8Array>();
  for (let c = 0; c < count; c++) {
    const p = order[c] as number;
    const name = poolLayer[p] as string;
    let mask = layers.get(name);
    if (mask === undefined) {
      mask = new Uint8Array((byName.get(name) as { absDelta: Float32Array }).absDelta.length);
      layers.set(name, mask);
    }
    mask[poolIndex[p] as number] = 1;
  }
  return { fraction, weightFraction, neurons: k, weights: count, layers };
}

/** Sets each masked kernel element to +0 (a select, not a product, so no -0 appears), using boolean keep tensors. */
function applyKeepTensors(targets: readonly { variable: tfl.LayerVariable; keep: tf.Tensor }[]): void {
  tf.tidy(() => {
    for (const t of targets) {
      const w = t.variable.read();
      t.variable.write(tf.where(t.keep, w, tf.zerosLike(w)));
    }
  });
}

/** Resolves the mask's layers in `model` and builds one boolean "keep" tensor per layer. Caller disposes `keep`. */
function keepTensors(model: tfl.LayersModel, mask: ReinitMask): { variable: tfl.LayerVariable; keep: tf.Tensor }[] {
  const resolved = [...mask.layers].map(([name, m]) => {
    const k = findKernel(model, name);
    const size = k.shape.reduce((a, b) => a * b, 1);
    if (size !== m.length) {
      throw new ModelError(
        `reinit mask for layer '${name}' has ${m.length} elements but its kernel [${k.shape.join(',')}] has ${size}`,
        { layer: name, shape: k.shape, received: m.length },
      );
    }
    return { k, m };
  });
  return resolved.map(({ k, m }) => ({
    variable: k.variable,
    keep: tf.tensor(Uint8Array.from(m, (v) => (v === 1 ? 0 : 1)), k.shape, 'bool'),
  }));
}

/**
 * Zeroes the masked kernel elements of `model` in place (layers matched by name; biases, BatchNorm and all other
 * weights untouched). Creates no lasting tensors.
 * @returns the neurons and kernel elements the mask covers.
 * @throws ModelError when a masked layer is missing or its kernel size differs.
 */
export function applyReinit(model: tfl.LayersModel, mask: ReinitMask): { neurons: number; weights: number } {
  if (mask.layers.size > 0) {
    const targets = keepTensors(model, mask);
    try {
      applyKeepTensors(targets);
    } finally {
      for (const t of targets) t.keep.dispose();
    }
  }
  return { neurons: mask.neurons, weights: mask.weights };
}

/** Arguments of {@link NwcReinit}. */
export interface NwcReinitArgs {
  /** The elements to zero, from {@link reinitMask}. Matched to the trained model's layers by name. */
  mask: ReinitMask;
  /**
   * Re-apply the mask after every batch, so that zeroed weights stay zero during fine-tuning.
   * @default false
   */
  keepZero?: boolean;
}

/**
 * Zero re-initialisation (TSBD stage 1c) as a tfjs callback: applies the mask to the model being trained at
 * `onTrainBegin`, and with `keepZero` after every batch too.
 *
 * The mask is applied once per instance: at `onTrainBegin` of the first `fit` that gets it. A later `fit` with the
 * same instance (fine-tuning resumed in several calls) does not zero the weights again, so what the earlier fits
 * learnt is kept; with `keepZero` the masked elements are still set to zero after every batch of every `fit`. To zero
 * again, make a new instance or call {@link applyReinit}.
 *
 * If `fit` throws, `onTrainEnd` does not run: call `dispose()` (idempotent) to free the kept mask tensors.
 *
 * @example
 * const mask = reinitMask(nwcScores(before, unlearned), 0.05);
 * await model.fit(x, y, {epochs: 20, callbacks: [nwcReinit({mask})]});
 */
export class NwcReinit extends tfl.Callback {
  readonly mask: ReinitMask;
  readonly keepZero: boolean;
  private targets: { variable: tfl.LayerVariable; keep: tf.Tensor }[] = [];
  private done = false;

  constructor(args: NwcReinitArgs) {
    super();
    if (args === null || typeof args !== 'object' || !(args.mask?.layers instanceof Map)) {
      throw new ConfigError('NwcReinit needs args {mask: ReinitMask}; received no mask', { option: 'mask' });
    }
    if (args.keepZero !== undefined && typeof args.keepZero !== 'boolean') {
      throw new ConfigError(`keepZero must be a boolean; received ${String(args.keepZero)}`, { option: 'keepZero' });
    }
    this.mask = args.mask;
    this.keepZero = args.keepZero ?? false;
  }

  /** Whether the mask has been applied at the start of a `fit` (it is applied once per instance). */
  get applied(): boolean {
    return this.done;
  }

  override async onTrainBegin(): Promise<void> {
    this.dispose();
    if (this.done && !this.keepZero) return;
    const targets = keepTensors(this.model, this.mask);
    if (!this.done) {
      try {
        applyKeepTensors(targets);
      } catch (e) {
        for (const t of targets) t.keep.dispose();
        throw e;
      }
      this.done = true;
    }
    if (this.keepZero) this.targets = targets;
    else for (const t of targets) t.keep.dispose();
  }

  override async onBatchEnd(): Promise<void> {
    if (this.targets.length > 0) applyKeepTensors(this.targets);
  }

  override async onTrainEnd(): Promise<void> {
    this.dispose();
  }

  /** Frees the kept mask tensors (only held with `keepZero` during training). Idempotent. */
  dispose(): void {
    for (const t of this.targets) t.keep.dispose();
    this.targets = [];
  }
}

/** Factory for {@link NwcReinit}. */
export function nwcReinit(args: NwcReinitArgs): NwcReinit {
  return new NwcReinit(args);
}
