import * as tfl from '@tensorflow/tfjs-layers';

import { apply, batchNorm, classifier, conv, relu } from './blocks';
import { resolveModelArgs, resolveWidth, seedStream, type ModelArgs } from './model_args';

/** Output widths (in units of w) and strides of the depthwise-separable blocks. */
const BLOCKS: readonly [number, number][] = [
  [2, 1],
  [4, 2],
  [4, 1],
  [8, 2],
  [8, 1],
];

/**
 * A small MobileNet (Howard et al. 2017, "MobileNets"): a 3x3 stem conv (w filters) -> BN -> ReLU, then five
 * depthwise-separable blocks, each a 3x3 DepthwiseConv2D (stride 1 or 2) -> BN -> ReLU -> 1x1 pointwise Conv2D ->
 * BN -> ReLU, with output widths 2w, 4w (stride 2), 4w, 8w (stride 2), 8w; then global average pooling and
 * Dense(numClasses, softmax). `args.width` is w (default 16). For 32x32x3 inputs, 10 classes and w = 16: 38,634
 * parameters. The depthwise and pointwise convolutions are separate layers with a BatchNorm between them, as in the
 * paper, not one SeparableConv2D. Layers have fixed names: `stem_conv`, `b1_dw`, `b1_pw`, ..., `pool`, `classifier`.
 *
 * @returns a new, uncompiled functional model; the caller owns it and calls `dispose()` when done.
 */
export function mobilenetS(args: ModelArgs): tfl.LayersModel {
  const { inputShape, numClasses, seed } = resolveModelArgs('mobilenet-s', args, 1);
  const w = resolveWidth(args, 16);
  const nextSeed = seedStream(seed);
  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x = apply(conv('stem_conv', w, 3, 1, nextSeed()), input);
  x = apply(relu('stem_relu'), apply(batchNorm('stem_bn'), x));
  BLOCKS.forEach(([mult, stride], i) => {
    const b = `b${i + 1}`;
    const dw = tfl.layers.depthwiseConv2d({
      name: `${b}_dw`,
      kernelSize: 3,
      strides: stride,
      padding: 'same',
      useBias: false,
      depthwiseInitializer: tfl.initializers.heNormal({ seed: nextSeed() }),
    });
    x = apply(relu(`${b}_dw_relu`), apply(batchNorm(`${b}_dw_bn`), apply(dw, x)));
    x = apply(conv(`${b}_pw`, mult * w, 1, 1, nextSeed()), x);
    x = apply(relu(`${b}_pw_relu`), apply(batchNorm(`${b}_pw_bn`), x));
  });
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const output = apply(classifier(numClasses, nextSeed()), x);
  return tfl.model({ inputs: input, outputs: output, name: 'mobilenet_s' });
}
