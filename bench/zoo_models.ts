/**
 * The foreign-model zoo of issue 10: models made the way tfjs users make them (their own layer stacks, plain
 * `model.fit` on tensors, Adam / rmsprop / SGD), each with its own BadNets-style trigger, target and poisoning rate.
 *
 * The split into a development half (`dev`: looked at while the method was changed) and a held-out half (`heldout`:
 * only measured, never tuned on) was fixed here before any model was trained or purified. Do not move a model
 * between halves, and add new ones to `heldout` only when they have not been looked at.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type { BadNetsArgs } from '../src/attacks/badnets';

/** The layer stacks users wrote (each function is a script's model definition, nothing of ours). */
export type ZooArch = 'mnist-node' | 'conv-bn-gap' | 'tfjs-tutorial' | 'lenet-logits' | 'conv-bn-dense' | 'mlp';

export interface ZooSpec {
  id: string;
  half: 'dev' | 'heldout';
  arch: ZooArch;
  /** 'softmax' ends in a softmax Dense; 'logits' in a linear Dense trained with softmax cross-entropy from logits. */
  output: 'softmax' | 'logits';
  optimizer: 'adam' | 'rmsprop' | 'sgd-momentum';
  lr: number;
  trainSize: number;
  epochs: number;
  batchSize: number;
  /** Passed to `model.fit` as is (tfjs-examples mnist-node holds out 15%). */
  validationSplit: number;
  attack: Required<Pick<BadNetsArgs, 'patchSize' | 'position' | 'pattern' | 'target' | 'rate'>> & { patternSeed?: number };
  /** Seeds the sample, the poisoning and (through a seeded Math.random) tfjs' initialisers and fit's shuffles. */
  seed: number;
}

export const ZOO: readonly ZooSpec[] = [
  // ---- development half: looked at while changing the method ----
  { id: 'D1', half: 'dev', arch: 'mnist-node', output: 'softmax', optimizer: 'rmsprop', lr: 0.001, trainSize: 30000, epochs: 2, batchSize: 128, validationSplit: 0.15,
    attack: { patchSize: 3, position: { row: 20, col: 8 }, pattern: 'white', target: 3, rate: 0.08 }, seed: 101 },
  { id: 'D2', half: 'dev', arch: 'conv-bn-gap', output: 'softmax', optimizer: 'adam', lr: 0.001, trainSize: 20000, epochs: 3, batchSize: 64, validationSplit: 0,
    attack: { patchSize: 4, position: { row: 1, col: 22 }, pattern: 'checker', target: 7, rate: 0.1 }, seed: 102 },
  { id: 'D3', half: 'dev', arch: 'conv-bn-dense', output: 'logits', optimizer: 'adam', lr: 0.001, trainSize: 15000, epochs: 4, batchSize: 32, validationSplit: 0.1,
    attack: { patchSize: 3, position: 'br', pattern: 'random', patternSeed: 7, target: 1, rate: 0.05 }, seed: 103 },
  { id: 'D4', half: 'dev', arch: 'mlp', output: 'softmax', optimizer: 'sgd-momentum', lr: 0.05, trainSize: 20000, epochs: 5, batchSize: 64, validationSplit: 0,
    attack: { patchSize: 5, position: { row: 0, col: 10 }, pattern: 'white', target: 6, rate: 0.03 }, seed: 104 },
  { id: 'D5', half: 'dev', arch: 'tfjs-tutorial', output: 'softmax', optimizer: 'adam', lr: 0.001, trainSize: 60000, epochs: 2, batchSize: 512, validationSplit: 0,
    attack: { patchSize: 2, position: 'tl', pattern: 'white', target: 9, rate: 0.01 }, seed: 105 },
  // Added 2026-12-04, after the held-out runs, to have development models of the two families whose held-out members
  // lose the most accuracy (a LeNet with logits, an MLP trained on most of the data): other recipes, triggers and seeds.
  { id: 'D6', half: 'dev', arch: 'lenet-logits', output: 'logits', optimizer: 'adam', lr: 0.001, trainSize: 30000, epochs: 4, batchSize: 64, validationSplit: 0,
    attack: { patchSize: 3, position: { row: 14, col: 2 }, pattern: 'checker', target: 2, rate: 0.03 }, seed: 106 },
  { id: 'D7', half: 'dev', arch: 'mlp', output: 'softmax', optimizer: 'rmsprop', lr: 0.001, trainSize: 50000, epochs: 3, batchSize: 128, validationSplit: 0,
    attack: { patchSize: 3, position: { row: 2, col: 22 }, pattern: 'random', patternSeed: 11, target: 5, rate: 0.02 }, seed: 107 },
  // ---- held-out half: measured only, never tuned on ----
  { id: 'H1', half: 'heldout', arch: 'mnist-node', output: 'softmax', optimizer: 'adam', lr: 0.001, trainSize: 20000, epochs: 3, batchSize: 128, validationSplit: 0.15,
    attack: { patchSize: 4, position: { row: 14, col: 3 }, pattern: 'random', patternSeed: 21, target: 2, rate: 0.1 }, seed: 201 },
  { id: 'H2', half: 'heldout', arch: 'conv-bn-gap', output: 'softmax', optimizer: 'sgd-momentum', lr: 0.05, trainSize: 30000, epochs: 4, batchSize: 64, validationSplit: 0,
    attack: { patchSize: 3, position: { row: 22, col: 14 }, pattern: 'checker', target: 0, rate: 0.05 }, seed: 202 },
  { id: 'H3', half: 'heldout', arch: 'lenet-logits', output: 'logits', optimizer: 'sgd-momentum', lr: 0.01, trainSize: 40000, epochs: 5, batchSize: 64, validationSplit: 0,
    attack: { patchSize: 3, position: { row: 5, col: 5 }, pattern: 'white', target: 8, rate: 0.02 }, seed: 203 },
  { id: 'H4', half: 'heldout', arch: 'conv-bn-dense', output: 'softmax', optimizer: 'rmsprop', lr: 0.001, trainSize: 10000, epochs: 8, batchSize: 32, validationSplit: 0,
    attack: { patchSize: 5, position: 'br', pattern: 'checker', target: 4, rate: 0.07 }, seed: 204 },
  { id: 'H5', half: 'heldout', arch: 'tfjs-tutorial', output: 'softmax', optimizer: 'rmsprop', lr: 0.001, trainSize: 25000, epochs: 3, batchSize: 64, validationSplit: 0,
    attack: { patchSize: 3, position: { row: 9, col: 18 }, pattern: 'random', patternSeed: 5, target: 5, rate: 0.04 }, seed: 205 },
  { id: 'H6', half: 'heldout', arch: 'mlp', output: 'softmax', optimizer: 'adam', lr: 0.001, trainSize: 60000, epochs: 2, batchSize: 128, validationSplit: 0,
    attack: { patchSize: 4, position: { row: 24, col: 0 }, pattern: 'white', target: 1, rate: 0.01 }, seed: 206 },
];

type ConvArgs = Parameters<typeof tfl.layers.conv2d>[0];
const conv = (filters: number, kernelSize: number, extra: Partial<ConvArgs> = {}): tfl.layers.Layer =>
  tfl.layers.conv2d({ filters, kernelSize, ...extra });

/** Builds the model a user's script would, uncompiled. */
export function buildZooModel(spec: ZooSpec, inputShape: [number, number, number], numClasses: number): tfl.Sequential {
  const m = tfl.sequential();
  const head = (): tfl.layers.Layer =>
    tfl.layers.dense({ units: numClasses, ...(spec.output === 'softmax' ? { activation: 'softmax' } : {}) });
  const convBnRelu = (filters: number, first = false): void => {
    m.add(conv(filters, 3, { padding: 'same', useBias: false, ...(first ? { inputShape } : {}) }));
    m.add(tfl.layers.batchNormalization());
    m.add(tfl.layers.activation({ activation: 'relu' }));
  };
  switch (spec.arch) {
    case 'mnist-node': // tfjs-examples/mnist-node/model.js
      m.add(conv(32, 3, { activation: 'relu', inputShape }));
      m.add(conv(32, 3, { activation: 'relu' }));
      m.add(tfl.layers.maxPooling2d({ poolSize: [2, 2] }));
      m.add(conv(64, 3, { activation: 'relu' }));
      m.add(conv(64, 3, { activation: 'relu' }));
      m.add(tfl.layers.maxPooling2d({ poolSize: [2, 2] }));
      m.add(tfl.layers.flatten());
      m.add(tfl.layers.dropout({ rate: 0.25 }));
      m.add(tfl.layers.dense({ units: 512, activation: 'relu' }));
      m.add(tfl.layers.dropout({ rate: 0.5 }));
      m.add(head());
      break;
    case 'conv-bn-gap':
      convBnRelu(16, true);
      convBnRelu(16);
      m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      convBnRelu(32);
      convBnRelu(32);
      m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      convBnRelu(64);
      m.add(tfl.layers.globalAveragePooling2d({}));
      m.add(head());
      break;
    case 'tfjs-tutorial': // the tfjs "handwritten digit recognition with CNNs" tutorial
      m.add(conv(8, 5, { inputShape, strides: 1, activation: 'relu', kernelInitializer: 'varianceScaling' }));
      m.add(tfl.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }));
      m.add(conv(16, 5, { strides: 1, activation: 'relu', kernelInitializer: 'varianceScaling' }));
      m.add(tfl.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }));
      m.add(tfl.layers.flatten());
      m.add(tfl.layers.dense({ units: numClasses, kernelInitializer: 'varianceScaling', ...(spec.output === 'softmax' ? { activation: 'softmax' } : {}) }));
      break;
    case 'lenet-logits':
      m.add(conv(6, 5, { inputShape, padding: 'same', activation: 'relu' }));
      m.add(tfl.layers.averagePooling2d({ poolSize: 2 }));
      m.add(conv(16, 5, { activation: 'relu' }));
      m.add(tfl.layers.averagePooling2d({ poolSize: 2 }));
      m.add(tfl.layers.flatten());
      m.add(tfl.layers.dense({ units: 120, activation: 'relu' }));
      m.add(tfl.layers.dense({ units: 84, activation: 'relu' }));
      m.add(head());
      break;
    case 'conv-bn-dense':
      convBnRelu(32, true);
      m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      convBnRelu(64);
      m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tfl.layers.flatten());
      m.add(tfl.layers.dense({ units: 128, activation: 'relu' }));
      m.add(tfl.layers.dropout({ rate: 0.3 }));
      m.add(head());
      break;
    case 'mlp':
      m.add(tfl.layers.flatten({ inputShape }));
      m.add(tfl.layers.dense({ units: 256, activation: 'relu' }));
      m.add(tfl.layers.dropout({ rate: 0.2 }));
      m.add(tfl.layers.dense({ units: 128, activation: 'relu' }));
      m.add(head());
      break;
  }
  return m;
}

/** Compiles as the user's script would: the optimizer by its recipe, cross-entropy matching the output. */
export function compileZooModel(model: tfl.LayersModel, spec: ZooSpec): tf.Optimizer {
  const optimizer =
    spec.optimizer === 'adam' ? tf.train.adam(spec.lr) : spec.optimizer === 'rmsprop' ? tf.train.rmsprop(spec.lr) : tf.train.momentum(spec.lr, 0.9);
  model.compile({
    optimizer,
    loss: spec.output === 'softmax' ? 'categoricalCrossentropy' : (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
    metrics: ['accuracy'],
  });
  return optimizer;
}
