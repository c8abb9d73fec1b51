import * as tfl from '@tensorflow/tfjs-layers';

import { apply, batchNorm, classifier, conv, preactBlock, relu } from './blocks';
import { resolveModelArgs, seedStream, type ModelArgs } from './model_args';

/**
 * A small PreAct-ResNet for 28x28 to 32x32 images: a 3x3 stem conv with 16 filters, one pre-activation basic
 * block at widths 16 (stride 1), 32 (stride 2) and 64 (stride 2), then BN -> ReLU -> global average pooling ->
 * Dense(numClasses, softmax). 78,042 parameters for 28x28x1 and 10 classes. Convolutions have no bias (BN follows).
 *
 * The global-pool head is why TSBD works well on it: the backdoor lives in conv channels that NWC can rank.
 * Layers have fixed names (`stem_conv`, `b1_conv1`, ..., `final_bn`, `classifier`).
 *
 * Porting note: BatchNormalization uses momentum 0.9 and epsilon 1e-5 (PyTorch's defaults) instead of tfjs's
 * 0.99 / 1e-3, so short trainings get usable moving statistics, as in the reference.
 *
 * @returns a new, uncompiled functional model; the caller owns it and calls `dispose()` when done.
 * @example
 * const model = preactResnetS({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 * model.countParams(); // 78042
 */
export function preactResnetS(args: ModelArgs): tfl.LayersModel {
  const { inputShape, numClasses, seed } = resolveModelArgs('preact-resnet-s', args, 1);
  const nextSeed = seedStream(seed);
  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x = apply(conv('stem_conv', 16, 3, 1, nextSeed()), input);
  x = preactBlock(x, 'b1', 16, 1, nextSeed);
  x = preactBlock(x, 'b2', 32, 2, nextSeed);
  x = preactBlock(x, 'b3', 64, 2, nextSeed);
  x = apply(relu('final_relu'), apply(batchNorm('final_bn'), x));
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const output = apply(classifier(numClasses, nextSeed()), x);
  return tfl.model({ inputs: input, outputs: output, name: 'preact_resnet_s' });
}
