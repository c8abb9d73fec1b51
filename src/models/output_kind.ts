import * as tfl from '@tensorflow/tfjs-layers';

import { ModelError } from '../errors';

/** What a classifier's output holds: softmax probabilities, or unnormalised scores (logits). */
export type OutputKind = 'probabilities' | 'logits';

/** Layers that pass a softmax through unchanged in value or meaning; we look behind them. */
const PASS_THROUGH = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'AlphaDropout', 'GaussianDropout', 'Flatten', 'Reshape']);
/** Activations that give independent per-class scores, not one categorical distribution. */
const UNSUPPORTED = new Set(['sigmoid', 'hardSigmoid']);

function singleOutput(model: tfl.LayersModel, what: string): tfl.SymbolicTensor {
  const out = model.outputs[0];
  if (model.outputs.length !== 1 || out === undefined) {
    throw new ModelError(`${what}: expected a model with one output; "${model.name}" has ${model.outputs.length}`, {
      model: model.name,
      outputs: model.outputs.length,
    });
  }
  return out;
}

/** The activation name a layer applies last, or undefined when it applies none we can see. */
function activationOf(layer: tfl.layers.Layer): string | undefined {
  if (layer.getClassName() === 'Softmax') return 'softmax';
  const config = layer.getConfig();
  const act = config['activation'];
  return typeof act === 'string' ? act : undefined;
}

/**
 * Whether a classifier outputs probabilities (its output layer applies softmax: a Dense or Conv with
 * `activation: 'softmax'`, or a trailing Activation('softmax') / Softmax layer, possibly behind Dropout, Flatten
 * or Reshape, or inside a nested model) or logits (anything else, e.g. a linear Dense or log-softmax).
 * Reads the topology only; creates no tensors.
 * @throws ModelError for several outputs, or a sigmoid output (we support one categorical output).
 */
export function outputKind(model: tfl.LayersModel): OutputKind {
  let tensor = singleOutput(model, 'outputKind');
  for (;;) {
    const layer = tensor.sourceLayer;
    if (layer instanceof tfl.LayersModel) {
      tensor = singleOutput(layer, 'outputKind');
      continue;
    }
    const previous = tensor.inputs[0];
    if (PASS_THROUGH.has(layer.getClassName()) && previous !== undefined && tensor.inputs.length === 1) {
      tensor = previous;
      continue;
    }
    const act = activationOf(layer);
    if (act !== undefined && UNSUPPORTED.has(act)) {
      throw new ModelError(
        `outputKind: layer "${layer.name}" ends in ${act}; only one categorical output (softmax or logits) is supported`,
        { layer: layer.name, activation: act },
      );
    }
    if (act === 'softmax') {
      const axis = layer.getConfig()['axis'];
      const rank = tensor.shape.length;
      if (typeof axis === 'number' && axis !== -1 && axis !== rank - 1) {
        throw new ModelError(`outputKind: layer "${layer.name}" applies softmax over axis ${axis}, not the class axis`, {
          layer: layer.name,
          axis,
        });
      }
      return 'probabilities';
    }
    return 'logits';
  }
}

/**
 * Checks that `model` is an image classifier this package can work with: one NHWC image input of rank 4 with
 * known height, width and channels, and one output of rank 2 ([batch, numClasses], numClasses >= 2).
 * @returns the input shape without the batch axis, and the number of classes.
 * @throws ModelError saying which of these fails, with the shapes found.
 */
export function checkClassifier(model: tfl.LayersModel): { inputShape: [number, number, number]; numClasses: number } {
  const input = model.inputs[0];
  if (model.inputs.length !== 1 || input === undefined) {
    throw new ModelError(`expected a model with one image input; "${model.name}" has ${model.inputs.length} inputs`, {
      model: model.name,
      inputs: model.inputs.length,
    });
  }
  const [, h, w, c] = input.shape;
  const known = (d: number | null | undefined): d is number => typeof d === 'number' && d > 0;
  if (input.shape.length !== 4 || !known(h) || !known(w) || !known(c)) {
    throw new ModelError(
      `expected an NHWC image input of shape [batch, height, width, channels] with known sizes; received ${JSON.stringify(input.shape)}`,
      { model: model.name, inputShape: input.shape },
    );
  }
  const output = singleOutput(model, 'checkClassifier');
  const classes = output.shape[1];
  if (output.shape.length !== 2 || !known(classes) || classes < 2) {
    throw new ModelError(
      `expected an output of shape [batch, numClasses] with numClasses >= 2; received ${JSON.stringify(output.shape)}`,
      { model: model.name, outputShape: output.shape },
    );
  }
  return { inputShape: [h, w, c], numClasses: classes };
}

/**
 * Throws a ModelError naming the first layer and weight (in layer order) that holds a NaN or an infinity, with
 * the flat index of the first bad value. Reads weights synchronously; creates no tensors.
 */
export function checkFiniteWeights(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      const values = weight.read().dataSync();
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        if (!Number.isFinite(v)) {
          throw new ModelError(
            `layer "${layer.name}" weight "${weight.originalName}" holds ${String(v)} at flat index ${i}; the model cannot be purified`,
            { layer: layer.name, weight: weight.originalName, index: i, value: String(v) },
          );
        }
      }
    }
  }
}
