/**
 * tfjs-tsbd/node: the parts that need Node's file system, kept out of the root entry so that `tfjs-tsbd` bundles
 * for the browser. Models saved and loaded as `model.json` + `weights.bin` without tfjs-node, atomic file writes,
 * IDX image files, the Fashion-MNIST loader, and the readers of CIFAR-10, GTSRB, Tiny-ImageNet and image folders
 * (`loadDataset` detects the format), and attack.json with its trigger assets (`saveAttack`, `loadAttack`).
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
export { loadDataset, detectFormat, DATA_FORMATS, type DataFormat, type LoadDatasetArgs } from '../data/load_dataset';
export { loadCifar10 } from '../data/cifar10';
export { loadGtsrb } from '../data/gtsrb';
export { loadTinyImagenet } from '../data/tiny_imagenet';
export { loadImageFolders } from '../data/image_folders';
export { decodeImage } from '../data/decode_image';
export type { RgbImage } from '../data/rgb_image';
export { ATTACK_FILE, loadAttack, saveAttack } from '../attacks/attack_file';
export type { ImageSize } from '../data/resize_image';
