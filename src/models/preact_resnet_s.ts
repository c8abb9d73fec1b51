import * as tfl from '@tensorflow/tfjs-layers';

import { resolveModelArgs, seedStream, type ModelArgs } from './model_args';

type SymbolicTensor = tfl.SymbolicTensor;

/** BN as PyTorch defaults it (momentum 0.1 there = 0.9 here, eps 1e-5), which the reference numbers used. */
function batchNorm(name: string): tfl.layers.Layer {
  return tfl.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon: 1e-5 });
}

function relu(name: string): tfl.layers.Layer {
  return tfl.layers.activation({ name, activation: 'relu' });
}

function conv(name: string, filters: number, kernelSize: number, strides: number, seed: number): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: 'same',
    useBias: false,
    kernelInitializer: tfl.initializers.heNormal({ seed }),
  });
}

function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

/**
 * One pre-activation basic block (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
 * a = ReLU(BN(x)); out = Conv3x3(a, stride) -> BN -> ReLU -> Conv3x3; shortcut = x when the shapes match, else a
 * 1x1 conv with the same stride applied to `a`; returns out + shortcut.
 */
function preactBlock(x: SymbolicTensor, prefix: string, filters: number, stride: number, nextSeed: () => number): SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1];
  const a = apply(relu(`${prefix}_relu1`), apply(batchNorm(`${prefix}_bn1`), x));
  let out = apply(conv(`${prefix}_conv1`, filters, 3, stride, nextSeed()), a);
  out = apply(relu(`${prefix}_relu2`), apply(batchNorm(`${prefix}_bn2`), out));
  out = apply(conv(`${prefix}_conv2`, filters, 3, 1, nextSeed()), out);
  const shortcut = stride === 1 && inChannels === filters ? x : apply(conv(`${prefix}_shortcut`, filters, 1, stride, nextSeed()), a);
  return apply(tfl.layers.add({ name: `${prefix}_add` }), [out, shortcut]);
}

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
  const output = apply(
    tfl.layers.dense({
      name: 'classifier',
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
    }),
    x,
  );
  return tfl.model({ inputs: input, outputs: output, name: 'preact_resnet_s' });
}
