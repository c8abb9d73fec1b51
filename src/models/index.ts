export { cloneModel } from './clone_model';
export type { ModelArgs } from './model_args';
export { checkClassifier, checkFiniteWeights, outputKind, type OutputKind } from './output_kind';
export { preactResnetS } from './preact_resnet_s';
export { buildModel, listArchs, type Arch } from './registry';
export { recalibrateBatchNorm, type RecalibrateBatchNormArgs } from './recalibrate_batch_norm';
export { smallCnn } from './small_cnn';
export { tfjsExamplesCnn } from './tfjs_examples_cnn';
export { extrapolateWeights } from './extrapolate_weights';
