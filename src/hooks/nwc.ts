import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors';
import { findKernel, neuronsOf, type KernelKind } from './scorable_layers';
import { WeightSnapshot } from './weight_snapshot';

/** One neuron in the global NWC ranking. */
export interface RankedNeuron {
  /** Name of the layer the neuron belongs to. */
  layer: string;
  /** Index of the output unit within its layer (for a depthwise kernel: `in_channel * mult + m`). */
  neuron: number;
  /** NWC: sum of |w_after - w_before| over the neuron's incoming kernel weights. */
  score: number;
}

/** Per-layer NWC data, plain arrays only. */
export interface NwcLayer {
  layerName: string;
  kind: KernelKind;
  shape: number[];
  numNeurons: number;
  /** |w_after - w_before| per kernel element, in the kernel's flat row-major order. */
  absDelta: Float32Array;
  /** NWC per neuron: `neuronScores[j]` sums `absDelta[i]` over all `i` with `i % numNeurons === j`. */
  neuronScores: Float32Array;
}

/** What {@link NwcScores} is built from: the per-element changes of each scored kernel, in layer order. */
export interface NwcLayerInput {
  layerName: string;
  kind: KernelKind;
  shape: number[];
  absDelta: Float32Array;
}

/**
 * Neuron weight change (NWC) scores of TSBD stage 1b (Lin et al., NeurIPS 2024): per layer, the per-weight absolute
 * change and the per-neuron sum (un-normalised L1), and ONE global ranking over all scored layers, by descending
 * score; ties go to the earlier layer, then the lower neuron index. Holds no tensors.
 */
export class NwcScores {
  readonly layers: readonly NwcLayer[];
  readonly ranking: readonly RankedNeuron[];

  /** Builds scores from per-element changes (as computed by {@link nwcScores}, or given by hand). */
  constructor(layers: readonly NwcLayerInput[]) {
    const names = new Set<string>();
    const out: NwcLayer[] = [];
    for (const l of layers) {
      if (names.has(l.layerName)) throw new ModelError(`NWC layer '${l.layerName}' appears twice`, { layer: l.layerName });
      names.add(l.layerName);
      const size = l.shape.reduce((a, b) => a * b, 1);
      if (l.absDelta.length !== size) {
        throw new ModelError(
          `NWC layer '${l.layerName}': absDelta has ${l.absDelta.length} elements but shape [${l.shape.join(',')}] has ${size}`,
          { layer: l.layerName, shape: l.shape, received: l.absDelta.length },
        );
      }
      const bad = l.absDelta.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new ModelError(
          `NWC layer '${l.layerName}': the weight change at element ${bad} is ${l.absDelta[bad]}; unlearning diverged (try a lower unlearn.lr)`,
          { layer: l.layerName, element: bad },
        );
      }
      const numNeurons = neuronsOf(l.kind, l.shape);
      const sums = new Float64Array(numNeurons);
      for (let i = 0; i < size; i++) sums[i % numNeurons] = (sums[i % numNeurons] as number) + (l.absDelta[i] as number);
      out.push({
        layerName: l.layerName,
        kind: l.kind,
        shape: [...l.shape],
        numNeurons,
        absDelta: l.absDelta,
        neuronScores: Float32Array.from(sums),
      });
    }
    const ranking: (RankedNeuron & { order: number })[] = [];
    out.forEach((l, li) => {
      l.neuronScores.forEach((score, neuron) => ranking.push({ layer: l.layerName, neuron, score, order: li }));
    });
    // Array.prototype.sort is stable; the explicit keys make the tie rule independent of that anyway.
    ranking.sort((a, b) => b.score - a.score || a.order - b.order || a.neuron - b.neuron);
    this.layers = out;
    this.ranking = ranking.map(({ layer, neuron, score }) => ({ layer, neuron, score }));
  }

  /** Total number of ranked neurons. */
  get totalNeurons(): number {
    return this.ranking.length;
  }

  /** The ranking as plain records (a copy). */
  toJSON(): RankedNeuron[] {
    return this.ranking.map((r) => ({ ...r }));
  }

  /** The ranking as CSV with header `layer,neuron,score`, one line per neuron, `\n` line ends. */
  toCSV(): string {
    const quote = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = ['layer,neuron,score'];
    for (const r of this.ranking) lines.push(`${quote(r.layer)},${r.neuron},${r.score}`);
    return `${lines.join('\n')}\n`;
  }
}

/** Options of {@link nwcScores}. */
export interface NwcOptions {
  /**
   * Divide each element's |change| by the L1 norm of its neuron's incoming weights BEFORE the change, so that a
   * neuron's score is its relative change sum|dw| / sum|w|. @default false (the paper's un-normalised L1).
   * Why offer it: behind a BatchNorm a conv's or Dense layer's weight scale is arbitrary, and un-normalised changes
   * rank layers by that scale. On zoo model D3 (conv-BN, flatten, Dense 128) the relative form found the Dense
   * layer that holds the backdoor (stage 1 at n = 0.2 left ASR 0.15 against 0.97; docs/foreign-models.md). Not yet
   * the default: it has not been measured across the zoo.
   */
  relative?: boolean;
}

/** In place: `delta[i] /= sum of |w| over i's neuron` (neuron of element i = i % numNeurons); a zero norm leaves 0 / 1. */
function divideByNeuronNorm(delta: Float32Array, w: ArrayLike<number>, numNeurons: number): void {
  const norm = new Float64Array(numNeurons);
  for (let i = 0; i < w.length; i++) norm[i % numNeurons] = (norm[i % numNeurons] as number) + Math.abs(w[i] as number);
  for (let i = 0; i < delta.length; i++) delta[i] = (delta[i] as number) / ((norm[i % numNeurons] as number) || 1);
}

/**
 * Computes NWC scores between the kernels in `before` and the same layers (matched by name) in `after`: a second
 * snapshot, or a model whose current kernels are read (typically the unlearned copy).
 *
 * @returns plain arrays; no tensor is created that outlives the call, and `before`/`after` stay owned by the caller.
 * @throws ModelError when a layer is missing from `after`, or its kernel kind or shape differs.
 */
export function nwcScores(before: WeightSnapshot, after: WeightSnapshot | tfl.LayersModel, opts: NwcOptions = {}): NwcScores {
  const relative = opts.relative ?? false;
  const inputs: NwcLayerInput[] = [];
  for (const k of before.kernels) {
    let other: { kind: KernelKind; shape: readonly number[]; read: () => tf.Tensor };
    if (after instanceof WeightSnapshot) {
      const o = after.kernels.find((a) => a.layerName === k.layerName);
      if (o === undefined) {
        throw new ModelError(`layer '${k.layerName}' is in the 'before' snapshot but not in the 'after' one`, {
          layer: k.layerName,
        });
      }
      other = { kind: o.kind, shape: o.shape, read: () => o.values };
    } else if (after instanceof tfl.LayersModel) {
      const o = findKernel(after, k.layerName);
      other = { kind: o.kind, shape: o.shape, read: () => o.variable.read() };
    } else {
      throw new ModelError('nwcScores: `after` must be a WeightSnapshot or a tfl.LayersModel');
    }
    if (other.kind !== k.kind || other.shape.join(',') !== k.shape.join(',')) {
      throw new ModelError(
        `layer '${k.layerName}' changed: ${k.kind} [${k.shape.join(',')}] before, ${other.kind} [${other.shape.join(',')}] after`,
        { layer: k.layerName, before: k.shape, after: [...other.shape] },
      );
    }
    const absDelta = Float32Array.from(tf.tidy(() => tf.abs(tf.sub(other.read(), k.values)).dataSync()));
    if (relative) divideByNeuronNorm(absDelta, k.values.dataSync(), neuronsOf(k.kind, k.shape));
    inputs.push({ layerName: k.layerName, kind: k.kind, shape: [...k.shape], absDelta });
  }
  return new NwcScores(inputs);
}
