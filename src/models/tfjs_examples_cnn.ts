import * as tfl from '@tensorflow/tfjs-layers';

import { resolveModelArgs, seedStream, type ModelArgs } from './model_args';

/**
 * A CNN in the style of tfjs-examples' mnist-node: conv32 - conv32 - maxpool 2 - conv64 - conv64 - maxpool 2 -
 * flatten - dropout 0.25 - dense 512 (ReLU) - dropout 0.5 - Dense(numClasses, softmax); convs are 3x3 'valid'
 * with ReLU; kernels use tfjs's default Glorot-uniform (seeded here). 594,922 parameters for 28x28x1 and 10
 * classes. It stands for a model family we did not design. Height and width must be at least 16.
 *
 * Dropout is not seeded: a fixed dropout seed in tfjs draws the same mask on every batch.
 *
 * @returns a new, uncompiled Sequential model; the caller owns it and calls `dispose()` when done.
 */
export function tfjsExamplesCnn(args: ModelArgs): tfl.Sequential {
  const { inputShape, numClasses, seed } = resolveModelArgs('tfjs-examples-cnn', args, 16);
  const nextSeed = seedStream(seed);
  const conv = (name: string, filters: number, first: boolean): tfl.layers.Layer =>
    tfl.layers.conv2d({
      name,
      filters,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
      ...(first ? { inputShape } : {}),
    });
  const model = tfl.sequential({ name: 'tfjs_examples_cnn' });
  model.add(conv('conv1', 32, true));
  model.add(conv('conv2', 32, false));
  model.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(conv('conv3', 64, false));
  model.add(conv('conv4', 64, false));
  model.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dropout({ name: 'dropout1', rate: 0.25 }));
  model.add(
    tfl.layers.dense({
      name: 'dense1',
      units: 512,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
    }),
  );
  model.add(tfl.layers.dropout({ name: 'dropout2', rate: 0.5 }));
  model.add(
    tfl.layers.dense({
      name: 'classifier',
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
    }),
  );
  return model;
}
