export { validateImageSet, subset, type ImageSet } from './image_set';
export { readIdx, writeIdx, readIdxImageSet } from './idx';
export { loadFashionMnist } from './fashion_mnist';
export { toTensors, type PixelRange } from './tensors';
export { augmentImages, type AugmentArgs } from './augment';
export { batchDataset } from './batch_dataset';
