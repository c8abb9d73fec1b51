export { GradNormOptimizer, gradNorm, type GradNormArgs } from './grad_norm';
