import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors';
import {
  scorableKernels,
  type KernelKind,
  type LayerSelection,
  type ScorableKernelsOptions,
} from './scorable_layers';

/** One kernel frozen by a {@link WeightSnapshot}. */
export interface SnapshotKernel {
  layerName: string;
  kind: KernelKind;
  shape: number[];
  numNeurons: number;
  /** A clone of the kernel at capture time, owned by the snapshot (freed by its `dispose()`). */
  values: tf.Tensor;
}

/**
 * A frozen copy of the scorable kernels of a model (see `scorableKernels`), taken before clean unlearning so
 * that NWC can compare. It clones, because `layer.getWeights()` and `LayerVariable.read()` return live variables
 * that training overwrites.
 *
 * @example
 * const before = WeightSnapshot.capture(model);      // clone the kernels
 * await copy.fit(x, y, {...});                          // unlearn a copy (or the model itself)
 * const scores = nwcScores(before, copy);
 * before.dispose();
 */
export class WeightSnapshot {
  private kernels_: SnapshotKernel[];
  private disposed = false;

  private constructor(kernels: SnapshotKernel[]) {
    this.kernels_ = kernels;
  }

  /**
   * Clones the kernels of `model` chosen by `selection` (see `scorableKernels`).
   * @returns a snapshot that owns its clones: call `dispose()`.
   * @throws ModelError when the model has no scorable layer.
   */
  static capture(
    model: tfl.LayersModel,
    selection: LayerSelection = 'auto',
    opts: ScorableKernelsOptions = {},
  ): WeightSnapshot {
    const found = scorableKernels(model, selection, opts);
    const kernels = found.map((k) => ({
      layerName: k.layerName,
      kind: k.kind,
      shape: [...k.shape],
      numNeurons: k.numNeurons,
      values: tf.clone(k.variable.read()),
    }));
    return new WeightSnapshot(kernels);
  }

  /** The frozen kernels, in layer order. @throws ModelError after `dispose()`. */
  get kernels(): readonly Readonly<SnapshotKernel>[] {
    if (this.disposed) throw new ModelError('this WeightSnapshot has been disposed');
    return this.kernels_;
  }

  /** Whether `dispose()` has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the clones. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const k of this.kernels_) k.values.dispose();
    this.kernels_ = [];
  }
}

/** Factory for {@link WeightSnapshot.capture}. */
export function weightSnapshot(
  model: tfl.LayersModel,
  selection: LayerSelection = 'auto',
  opts: ScorableKernelsOptions = {},
): WeightSnapshot {
  return WeightSnapshot.capture(model, selection, opts);
}
