import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, ModelError } from '../errors';
import { outputHead } from '../hooks/scorable_layers';

/**
 * A model's output head, re-drawn, and a penalty that holds it away from the head it had: a feature shift in the
 * manner of FST (Min et al., NeurIPS 2023, arXiv 2310.01875). While the penalty is attached, every `fit` of the model
 * adds it to the loss through tfjs-layers' own regularizer path (`Layer.addLoss`), whatever loss the model was
 * compiled with; {@link HeadShift.project} is to be called after every step.
 */
export interface HeadShift {
  /** Name of the re-drawn output Dense layer. */
  readonly head: string;
  /** weight * cos(K, K0), K the head's kernel now and K0 the one it had; a new scalar. */
  penalty(): tf.Scalar;
  /** Adds the penalty to the head layer's losses (idempotent). */
  attach(): void;
  /** Takes it off again (idempotent); the model then trains and saves as before. */
  detach(): void;
  /** Rescales the kernel back to ||K0|| (FST's projection), so that only its direction can move. */
  project(): void;
  /** cos(K, K0) now: 1 = the old head's direction, 0 = orthogonal, -1 = opposite. */
  cosine(): number;
  /** Detaches the penalty and frees the copy of K0. */
  dispose(): void;
}

/** The head-shift weight used when none is given (callbacks.headShift, purify's headShift 'auto'): FST's 0.2 on D3. */
export const DEFAULT_HEAD_SHIFT = 3;

/**
 * Re-draws `model`'s output Dense kernel (Glorot uniform, seeded, at the old kernel's Frobenius norm; bias 0) in
 * place, and returns the penalty weight * <K, K0> / ||K0||^2 that keeps it away from the old kernel K0.
 *
 * Why the inner product is divided by ||K0||^2 (so that, the norm being held, it is a cosine): FST weights the raw
 * <K, K0> by 0.2 for ResNet-18 on CIFAR-10, but that scales with ||K0||^2, which ranged from 15 to 56 on the zoo's
 * development models (docs/foreign-models.md). FST's own 0.2 on the model with 15 is a weight of 3 here.
 *
 * With `rows` (indices of the head's inputs), only those rows of the kernel are re-drawn, held at their old norm and
 * pushed away from their old values; the other rows and the bias stay as they were and train freely. K and K0 then
 * stand for the chosen rows alone (see PurifyOptions.headShiftRows for why).
 */
export function shiftHead(model: tfl.LayersModel, weight: number, seed: number, rows?: readonly number[]): HeadShift {
  const head = outputHead(model);
  if (head === undefined) throw new ModelError(`a head shift needs a Dense output layer; model '${model.name}' has none`, { model: model.name });
  const kernel = head.weights.find((w) => /(^|\/)kernel$/.test(w.originalName));
  if (kernel === undefined) throw new ModelError(`output layer '${head.name}' has no kernel`, { model: model.name, layer: head.name });
  const bias = head.weights.find((w) => /(^|\/)bias$/.test(w.originalName));
  const fanIn = kernel.shape[0] as number;
  const mask = rows === undefined ? undefined : rowMask(rows, fanIn, head.name);
  const original = tf.tidy(() => (mask === undefined ? tf.clone(kernel.read()) : tf.mul(kernel.read(), mask)));
  const norm = tf.tidy(() => tf.norm(original));
  const invNorm2 = 1 / Math.max((norm.dataSync()[0] as number) ** 2, 1e-12);
  const project = (): void => {
    tf.tidy(() => {
      const w = kernel.read();
      const moving = mask === undefined ? w : tf.mul(w, mask);
      const scaled = tf.mul(moving, tf.div(norm, tf.maximum(tf.norm(moving), 1e-12)));
      kernel.write(mask === undefined ? scaled : tf.add(tf.sub(w, moving), scaled));
    });
  };
  tf.tidy(() => {
    const drawn = tfl.initializers.glorotUniform({ seed }).apply(kernel.shape) as tf.Tensor;
    if (mask === undefined) {
      kernel.write(drawn);
      if (bias !== undefined) bias.write(tf.zerosLike(bias.read()));
    } else {
      kernel.write(tf.add(tf.mul(drawn, mask), tf.mul(kernel.read(), tf.sub(1, mask))));
    }
  });
  project();
  const dot = (): tf.Scalar => tf.sum(tf.mul(kernel.read(), original));
  const penalty = (): tf.Scalar => tf.tidy(() => tf.mul(dot(), weight * invNorm2) as tf.Scalar);
  // tfjs-layers keeps a layer's regularizer losses in the array its `losses` getter returns (there is no removal
  // API): the penalty is pushed with addLoss and spliced out of that array by identity.
  const detach = (): void => {
    const i = head.losses.indexOf(penalty);
    if (i >= 0) head.losses.splice(i, 1);
  };
  let disposed = false;
  return {
    head: head.name,
    penalty,
    attach: () => {
      if (disposed) throw new ModelError(`the head shift of '${head.name}' was disposed`, { model: model.name, layer: head.name });
      if (!head.losses.includes(penalty)) head.addLoss(penalty);
    },
    detach,
    project,
    cosine: () => tf.tidy(() => (dot().dataSync()[0] as number) * invNorm2),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      detach();
      tf.dispose([original, norm]);
      mask?.dispose();
    },
  };
}

/** A [fanIn, 1] mask with 1 at `rows`; refuses an empty list, a repeat or an index outside [0, fanIn). */
function rowMask(rows: readonly number[], fanIn: number, layer: string): tf.Tensor2D {
  const m = new Float32Array(fanIn);
  if (rows.length === 0) throw new ConfigError(`head shift rows of '${layer}': the list is empty`, { option: 'rows', layer });
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= fanIn) {
      throw new ConfigError(`head shift rows of '${layer}': ${String(r)} is not an input index in [0, ${fanIn})`, { option: 'rows', layer, received: r });
    }
    if (m[r] === 1) throw new ConfigError(`head shift rows of '${layer}': ${r} is listed twice`, { option: 'rows', layer, received: r });
    m[r] = 1;
  }
  return tf.tensor2d(m, [fanIn, 1]);
}
