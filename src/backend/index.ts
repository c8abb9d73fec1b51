export { selectBackend, type BackendName } from './select_backend';
export { registerTrainingKernels } from './training_kernels';
