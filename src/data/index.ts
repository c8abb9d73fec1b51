export { validateImageSet, subset, type ImageSet } from './image_set';
export { toTensors, type PixelRange } from './tensors';
export { augmentImages, type AugmentArgs } from './augment';
export { batchDataset } from './batch_dataset';
export { resizeImage, type ImageSize } from './resize_image';
