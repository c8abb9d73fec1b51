import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { ModelError } from '../errors';

function rebuild(model: tfl.LayersModel): tfl.LayersModel {
  const config = model.getConfig() as tf.serialization.ConfigDict;
  if (model instanceof tfl.Sequential) {
    return tfl.Sequential.fromConfig(tfl.Sequential as unknown as tf.serialization.SerializableConstructor<tfl.Sequential>, config);
  }
  const className = model.getClassName();
  if (className !== 'Model' && className !== 'Functional') {
    throw new ModelError(`cloneModel supports Sequential and functional models; received a ${className}`, { className });
  }
  return tfl.LayersModel.fromConfig(tfl.LayersModel as unknown as tf.serialization.SerializableConstructor<tfl.LayersModel>, config);
}

/**
 * A deep copy of `model`: the same architecture and layer names, rebuilt from `model.getConfig()`, with new
 * variables holding the same values (trainable weights and BN moving statistics). The copy is uncompiled and
 * shares no variable with the original; the original is never touched. Custom layers must be registered with
 * `tf.serialization.registerClass` (tfjs cannot rebuild them otherwise).
 *
 * @returns a new model; the caller owns it and calls `dispose()` when done.
 * @throws ModelError when the model cannot be rebuilt from its config (unregistered custom layer, subclassed model).
 */
export function cloneModel(model: tfl.LayersModel): tfl.LayersModel {
  let clone: tfl.LayersModel;
  try {
    clone = rebuild(model);
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(`cloneModel could not rebuild model "${model.name}" from its config: ${(err as Error).message}`, {
      model: model.name,
    });
  }
  try {
    const source = model.weights;
    const target = clone.weights;
    const mismatch =
      source.length !== target.length ||
      source.some((w, i) => {
        const t = target[i];
        return t === undefined || t.originalName !== w.originalName || JSON.stringify(t.shape) !== JSON.stringify(w.shape);
      });
    if (mismatch) {
      throw new ModelError(`cloneModel: the rebuilt model "${model.name}" has different weights than the original`, {
        source: source.map((w) => w.originalName),
        target: target.map((w) => w.originalName),
      });
    }
    // setWeights assigns; the tensors from getWeights stay owned by the original's variables.
    clone.setWeights(model.getWeights());
  } catch (err) {
    clone.dispose();
    throw err;
  }
  return clone;
}
