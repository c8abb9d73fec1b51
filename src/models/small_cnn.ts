import * as tfl from '@tensorflow/tfjs-layers';

import { resolveModelArgs, seedStream, type ModelArgs } from './model_args';

/**
 * The "small CNN" of the Fashion-MNIST measurements: conv16 - conv16 - maxpool 2 - conv32 - conv32 (stride 2) -
 * flatten - Dense(numClasses, softmax); every conv is 3x3, 'same' padding, ReLU, with bias. 32,058 parameters for
 * 28x28x1 and 10 classes.
 *
 * Its flatten-into-Dense head hides a backdoor where conv-level NWC scores reach less well; it is here to show
 * that contrast. Layers have fixed names (`conv1` .. `conv4`, `pool`, `flatten`, `classifier`).
 *
 * @returns a new, uncompiled Sequential model; the caller owns it and calls `dispose()` when done.
 * @example
 * smallCnn({ inputShape: [28, 28, 1], numClasses: 10 }).countParams(); // 32058
 */
export function smallCnn(args: ModelArgs): tfl.Sequential {
  const { inputShape, numClasses, seed } = resolveModelArgs('small-cnn', args, 2);
  const nextSeed = seedStream(seed);
  const conv = (name: string, filters: number, strides: number, first: boolean): tfl.layers.Layer =>
    tfl.layers.conv2d({
      name,
      filters,
      kernelSize: 3,
      strides,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tfl.initializers.heNormal({ seed: nextSeed() }),
      ...(first ? { inputShape } : {}),
    });
  const model = tfl.sequential({ name: 'small_cnn' });
  model.add(conv('conv1', 16, 1, true));
  model.add(conv('conv2', 16, 1, false));
  model.add(tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }));
  model.add(conv('conv3', 32, 1, false));
  model.add(conv('conv4', 32, 2, false));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
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
