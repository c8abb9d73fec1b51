import * as tfl from '@tensorflow/tfjs-layers';

import { apply, batchNorm, classifier, conv, relu } from './blocks';
import { resolveModelArgs, resolveWidth, seedStream, type ModelArgs } from './model_args';

/**
 * A small VGG-style net (Simonyan and Zisserman 2015): three stages of two 3x3 conv -> BN -> ReLU layers at widths
 * w, 2w, 4w, each stage closed by 2x2 max pooling, then flatten -> Dense(8w, ReLU) -> Dense(numClasses, softmax).
 * `args.width` is w (default 32). For 32x32x3 inputs, 10 classes and w = 32: 815,466 parameters. Height and width
 * must be at least 8 (three poolings). Layers have fixed names: `s1_conv1`, `s1_bn1`, ..., `s3_pool`, `flatten`,
 * `hidden`, `classifier`.
 *
 * @returns a new, uncompiled functional model; the caller owns it and calls `dispose()` when done.
 */
export function vggS(args: ModelArgs): tfl.LayersModel {
  const { inputShape, numClasses, seed } = resolveModelArgs('vgg-s', args, 8);
  const w = resolveWidth(args, 32);
  const nextSeed = seedStream(seed);
  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x: tfl.SymbolicTensor = input;
  [w, 2 * w, 4 * w].forEach((filters, s) => {
    for (const k of [1, 2]) {
      x = apply(conv(`s${s + 1}_conv${k}`, filters, 3, 1, nextSeed()), x);
      x = apply(relu(`s${s + 1}_relu${k}`), apply(batchNorm(`s${s + 1}_bn${k}`), x));
    }
    x = apply(tfl.layers.maxPooling2d({ name: `s${s + 1}_pool`, poolSize: 2 }), x);
  });
  x = apply(tfl.layers.flatten({ name: 'flatten' }), x);
  x = apply(
    tfl.layers.dense({ name: 'hidden', units: 8 * w, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: nextSeed() }) }),
    x,
  );
  const output = apply(classifier(numClasses, nextSeed()), x);
  return tfl.model({ inputs: input, outputs: output, name: 'vgg_s' });
}
