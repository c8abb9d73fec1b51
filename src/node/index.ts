/**
 * tfjs-tsbd/node: the parts that need Node's file system, kept out of the root entry so that `tfjs-tsbd` bundles
 * for the browser. Models saved and loaded as `model.json` + `weights.bin` without tfjs-node, atomic file writes,
 * IDX image files and the Fashion-MNIST loader.
 *
 * @example
 * import { purify } from 'tfjs-tsbd';
 * import { loadFashionMnist, loadModel, saveModel } from 'tfjs-tsbd/node';
 */
export { fileHandler, loadModel, saveModel, WEIGHTS_FILE, type FileHandlerOptions } from '../io/file_handler';
export { writeFileAtomic } from '../io/atomic_write';
export { resolveModelPath, type ModelPath } from '../io/model_path';
export { readIdx, writeIdx, readIdxImageSet } from '../data/idx';
export { loadFashionMnist } from '../data/fashion_mnist';
