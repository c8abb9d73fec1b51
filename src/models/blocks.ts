import * as tfl from '@tensorflow/tfjs-layers';

/** A symbolic tensor of the functional API. */
export type SymbolicTensor = tfl.SymbolicTensor;

/** BN as PyTorch defaults it (momentum 0.1 there = 0.9 here, eps 1e-5), which the reference numbers used. */
export function batchNorm(name: string): tfl.layers.Layer {
  return tfl.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon: 1e-5 });
}

export function relu(name: string): tfl.layers.Layer {
  return tfl.layers.activation({ name, activation: 'relu' });
}

/** A 'same'-padded Conv2D without bias (a BatchNorm follows or precedes it), He-normal with its own seed. */
export function conv(name: string, filters: number, kernelSize: number, strides: number, seed: number): tfl.layers.Layer {
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

/** The softmax output layer, Glorot-uniform with its own seed. */
export function classifier(numClasses: number, seed: number): tfl.layers.Layer {
  return tfl.layers.dense({
    name: 'classifier',
    units: numClasses,
    activation: 'softmax',
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
  });
}

export function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

/**
 * One pre-activation basic block (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
 * a = ReLU(BN(x)); out = Conv3x3(a, stride) -> BN -> ReLU -> Conv3x3; shortcut = x when the shapes match, else a
 * 1x1 conv with the same stride applied to `a` (the projection shortcut); returns out + shortcut. Layers are named
 * `${prefix}_bn1`, `_conv1`, `_bn2`, `_conv2`, `_shortcut`, `_add`.
 */
export function preactBlock(x: SymbolicTensor, prefix: string, filters: number, stride: number, nextSeed: () => number): SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1];
  const a = apply(relu(`${prefix}_relu1`), apply(batchNorm(`${prefix}_bn1`), x));
  let out = apply(conv(`${prefix}_conv1`, filters, 3, stride, nextSeed()), a);
  out = apply(relu(`${prefix}_relu2`), apply(batchNorm(`${prefix}_bn2`), out));
  out = apply(conv(`${prefix}_conv2`, filters, 3, 1, nextSeed()), out);
  const shortcut = stride === 1 && inChannels === filters ? x : apply(conv(`${prefix}_shortcut`, filters, 1, stride, nextSeed()), a);
  return apply(tfl.layers.add({ name: `${prefix}_add` }), [out, shortcut]);
}
