import * as tfl from '@tensorflow/tfjs-layers';

import type { ImageSet } from '../../src/data/image_set';

/** Three 2x2x1 images: all 0; 0, 51, 102, 153 (= 0, .2, .4, .6 after /255); all 255 (= 1). */
export const threeImages: ImageSet = {
  images: Uint8Array.from([0, 0, 0, 0, 0, 51, 102, 153, 255, 255, 255, 255]),
  labels: Uint8Array.from([0, 1, 0]),
  count: 3,
  height: 2,
  width: 2,
  channels: 1,
  numClasses: 2,
};

/** 2x2x1 -> 'bn' (BatchNormalization, tfjs default momentum 0.99) -> flatten -> 'out' (Dense 2, ones, softmax). */
export function bnModel(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.batchNormalization({ inputShape: [2, 2, 1], name: 'bn' }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: 'ones', name: 'out' }));
  return m;
}
