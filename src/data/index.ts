export { validateImageSet, subset, type ImageSet } from './image_set';
export { toTensors, type PixelRange } from './tensors';
export type { AugmentArgs } from './augment';
