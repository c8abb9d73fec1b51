// The `train` namespace of the root entry, named after tfjs's `tf.train.*` optimizer factories.
export { gradNorm } from './grad_norm';
