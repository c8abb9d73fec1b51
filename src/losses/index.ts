export type { LossFn, OutputKind } from './cross_entropy';
export { unlearningLoss } from './unlearning_loss';
