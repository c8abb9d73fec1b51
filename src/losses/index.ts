export {
  crossEntropyLoss,
  perExampleCrossEntropy,
  PROB_EPSILON,
  type LossFn,
  type OutputKind,
} from './cross_entropy';
export { unlearningLoss } from './unlearning_loss';
