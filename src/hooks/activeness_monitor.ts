import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, ModelError } from '../errors';
import { findKernel, scorableKernels, type LayerSelection, type ScorableKernel } from './scorable_layers';

/** Arguments of {@link ActivenessMonitor}. */
export interface ActivenessMonitorArgs {
  /**
   * The layers to watch: a selection rule (see `scorableKernels`), or leaf layer names (any layer with a kernel,
   * the output layer included).
   * @default 'auto'
   */
  layers?: LayerSelection | string[];
}

/** Per-neuron gradient statistics of one layer over one epoch. */
export interface ActivenessLayerStats {
  layerName: string;
  /** Mean over the epoch's batches of the per-batch L1 norm of each neuron's incoming-weight gradient. */
  mean: Float32Array;
  /** Population variance (divided by the number of batches) of that per-batch L1 norm; NaN-filled if no batch ran. */
  variance: Float32Array;
}

/** One epoch of {@link ActivenessMonitor} history. */
export interface ActivenessRecord {
  /** 0-based epoch index, as tfjs passes it. */
  epoch: number;
  /** Number of optimizer steps observed in the epoch. */
  batches: number;
  layers: ActivenessLayerStats[];
}

type GradList = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];
type ApplyGradients = (grads: GradList) => void;

interface Watched {
  kernel: ScorableKernel;
  sum: tf.Tensor | undefined;
  sumSq: tf.Tensor | undefined;
}

const SELECTIONS: readonly string[] = ['auto', 'conv', 'conv+dense'];

/**
 * Records neuron "activeness" (TSBD observation 2, Lin et al., NeurIPS 2024): for each neuron of the watched layers,
 * the mean and variance over an epoch's batches of the L1 norm of the gradient of the loss w.r.t. that neuron's
 * incoming kernel weights.
 *
 * A callback cannot see gradients, so at `onTrainBegin` it wraps `applyGradients` on the model's optimizer INSTANCE
 * (gradients are keyed by variable name, which is the kernel LayerVariable's name), reduces each watched gradient to
 * per-neuron L1 norms on device and accumulates sums and sums of squares there; it reads them once per epoch. The
 * original method is put back at `onTrainEnd`. If `fit` throws, call `dispose()` (idempotent) to restore and free.
 *
 * The gradient seen is the one handed to `applyGradients`: with an optimizer wrapper whose `minimize` does not call
 * its own `applyGradients`, nothing is observed.
 *
 * @example
 * const monitor = activenessMonitor({layers: 'auto'});
 * await model.fit(x, y, {epochs: 3, callbacks: [monitor]});
 * monitor.history[0].layers[0].mean; // Float32Array, one value per neuron
 */
export class ActivenessMonitor extends tfl.Callback {
  readonly layers: LayerSelection | readonly string[];
  private history_: ActivenessRecord[] = [];
  private watched: Watched[] = [];
  private byVariable = new Map<string, Watched>();
  private batches = 0;
  private restore: (() => void) | undefined;

  constructor(args: ActivenessMonitorArgs = {}) {
    super();
    const layers = args.layers ?? 'auto';
    const ok =
      (typeof layers === 'string' && SELECTIONS.includes(layers)) ||
      (Array.isArray(layers) && layers.length > 0 && layers.every((n) => typeof n === 'string'));
    if (!ok) {
      throw new ConfigError(
        `layers must be one of ${SELECTIONS.join(', ')} or a non-empty array of layer names; received ${JSON.stringify(layers)}`,
        { option: 'layers', received: layers },
      );
    }
    this.layers = Array.isArray(layers) ? [...(layers as string[])] : (layers as LayerSelection);
  }

  /** One record per finished epoch since the last `onTrainBegin`; plain arrays only. */
  get history(): readonly Readonly<ActivenessRecord>[] {
    return this.history_;
  }

  override async onTrainBegin(): Promise<void> {
    this.dispose();
    this.history_ = [];
    const model = this.model;
    const optimizer = (model as { optimizer?: tf.Optimizer }).optimizer;
    if (optimizer === undefined || optimizer === null) {
      throw new ModelError(`ActivenessMonitor: model '${model.name}' has no optimizer; compile it first`);
    }
    const kernels =
      typeof this.layers === 'string'
        ? scorableKernels(model, this.layers)
        : this.layers.map((name) => findKernel(model, name));
    this.watched = kernels.map((kernel) => ({ kernel, sum: undefined, sumSq: undefined }));
    this.byVariable = new Map(this.watched.map((w) => [w.kernel.variable.name, w]));

    const target = optimizer as unknown as { applyGradients: ApplyGradients };
    const hadOwn = Object.prototype.hasOwnProperty.call(target, 'applyGradients');
    const original = target.applyGradients;
    const observe = (grads: GradList): void => this.observe(grads);
    target.applyGradients = function wrapped(this: unknown, grads: GradList): void {
      observe(grads);
      original.call(this, grads);
    };
    this.restore = () => {
      if (hadOwn) target.applyGradients = original;
      else delete (target as Partial<typeof target>).applyGradients;
    };
  }

  override async onEpochBegin(): Promise<void> {
    this.resetAccumulators();
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    const n = this.batches;
    const layers: ActivenessLayerStats[] = [];
    for (const w of this.watched) {
      const size = w.kernel.numNeurons;
      const mean = new Float32Array(size).fill(Number.NaN);
      const variance = new Float32Array(size).fill(Number.NaN);
      if (n > 0 && w.sum !== undefined && w.sumSq !== undefined) {
        const [s, q] = await Promise.all([w.sum.data(), w.sumSq.data()]);
        for (let j = 0; j < size; j++) {
          const m = (s[j] as number) / n;
          mean[j] = m;
          variance[j] = Math.max(0, (q[j] as number) / n - m * m);
        }
      }
      layers.push({ layerName: w.kernel.layerName, mean, variance });
    }
    this.history_.push({ epoch, batches: n, layers });
    this.resetAccumulators();
  }

  override async onTrainEnd(): Promise<void> {
    this.dispose();
  }

  /** Restores the optimizer's `applyGradients` and frees the accumulators. Idempotent; history is kept. */
  dispose(): void {
    this.restore?.();
    this.restore = undefined;
    this.resetAccumulators();
    this.watched = [];
    this.byVariable = new Map();
  }

  private resetAccumulators(): void {
    for (const w of this.watched) {
      w.sum?.dispose();
      w.sumSq?.dispose();
      w.sum = undefined;
      w.sumSq = undefined;
    }
    this.batches = 0;
  }

  /** Adds one step's per-neuron gradient L1 norms to the kept sums. */
  private observe(grads: GradList): void {
    const entries: [string, tf.Tensor | undefined][] = Array.isArray(grads)
      ? grads.map((g) => [g.name, g.tensor])
      : Object.entries(grads);
    let seen = false;
    for (const [name, g] of entries) {
      const w = this.byVariable.get(name);
      if (w === undefined || g === undefined || g === null) continue;
      seen = true;
      const next = tf.tidy(() => {
        const l1 = tf.sum(tf.abs(tf.reshape(g, [-1, w.kernel.numNeurons])), 0);
        const sq = tf.square(l1);
        return {
          sum: w.sum === undefined ? l1 : tf.add(w.sum, l1),
          sumSq: w.sumSq === undefined ? sq : tf.add(w.sumSq, sq),
        };
      });
      w.sum?.dispose();
      w.sumSq?.dispose();
      w.sum = tf.keep(next.sum);
      w.sumSq = tf.keep(next.sumSq);
    }
    if (seen) this.batches += 1;
  }
}

/** Factory for {@link ActivenessMonitor}. */
export function activenessMonitor(args: ActivenessMonitorArgs = {}): ActivenessMonitor {
  return new ActivenessMonitor(args);
}
