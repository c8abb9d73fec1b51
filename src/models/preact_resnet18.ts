import * as tfl from '@tensorflow/tfjs-layers';

import { apply, classifier, conv, preactBlock } from './blocks';
import { resolveModelArgs, resolveWidth, seedStream, type ModelArgs } from './model_args';

/**
 * PreAct-ResNet18, the model of the TSBD paper's CIFAR-10, GTSRB and Tiny-ImageNet results, built with the
 * functional API: a 3x3 stem conv (width w, stride 1, no BN), four stages of two pre-activation basic blocks at
 * widths w, 2w, 4w, 8w (strides 1, 2, 2, 2; a 1x1 projection shortcut where the shape changes), global average
 * pooling and Dense(numClasses, softmax). As in BackdoorBench's PreActResNet18 (models/preact_resnet.py, adaptive
 * average pooling), there is no BatchNorm after the last block, no BatchNorm on the shortcut, and convolutions have
 * no bias; BackdoorBench's head outputs logits where ours applies softmax.
 *
 * `args.width` is w (default 64, the reference's). With w = 64, 32x32x3 inputs and 10 classes it has 11,171,146
 * trainable parameters, what PyTorch counts for the reference's structure, plus 6,784 BN moving statistics (buffers
 * in PyTorch, weights in tfjs); w = 16 cuts that about 16-fold, to train on a CPU. Layers have fixed names:
 * `stem_conv`, `s1b1_conv1`, ..., `s4b2_add`, `pool`, `classifier`; the projection shortcuts are `s2b1_shortcut`,
 * `s3b1_shortcut` and `s4b1_shortcut`.
 *
 * @returns a new, uncompiled functional model; the caller owns it and calls `dispose()` when done.
 * @example
 * preactResnet18({ inputShape: [32, 32, 3], numClasses: 10, width: 64 }).countParams(); // 11177930
 */
export function preactResnet18(args: ModelArgs): tfl.LayersModel {
  const { inputShape, numClasses, seed } = resolveModelArgs('preact-resnet18', args, 1);
  const w = resolveWidth(args, 64);
  const nextSeed = seedStream(seed);
  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x = apply(conv('stem_conv', w, 3, 1, nextSeed()), input);
  [w, 2 * w, 4 * w, 8 * w].forEach((filters, s) => {
    x = preactBlock(x, `s${s + 1}b1`, filters, s === 0 ? 1 : 2, nextSeed);
    x = preactBlock(x, `s${s + 1}b2`, filters, 1, nextSeed);
  });
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const output = apply(classifier(numClasses, nextSeed()), x);
  return tfl.model({ inputs: input, outputs: output, name: 'preact_resnet18' });
}
