import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../src/data/image_set';
import { Rng } from '../../src/internal/rng';

/** 6x6 grey images, 2 classes: class 1 is bright on the left half, class 0 on the right. */
export function toySet(count: number, seed: number, numClasses = 2): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 36);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    labels[i] = label;
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        const bright = label === 1 ? c < 3 : c >= 3;
        images[i * 36 + r * 6 + c] = (bright ? 160 : 40) + rng.int(60);
      }
    }
  }
  return { images, labels, count, height: 6, width: 6, channels: 1, numClasses };
}

export function toyModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
  return m;
}
