export { cloneModel } from './clone_model';
export type { ModelArgs } from './model_args';
export { buildModel, hasWidth, listArchs, type Arch } from './registry';
export { withOnlyHeadTrainable } from './with_only_head_trainable';
