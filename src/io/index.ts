export { writeFileAtomic } from './atomic_write';
export { fileHandler, loadModel, saveModel, WEIGHTS_FILE, type FileHandlerOptions } from './file_handler';
export { resolveModelPath, type ModelPath } from './model_path';
