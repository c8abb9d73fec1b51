import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backend/select_backend';
import type { ImageSet } from '../../src/data/image_set';
import { purify } from '../../src/defenses/tsbd';
import { Rng } from '../../src/internal/rng';
import { buildModel, type Arch } from '../../src/models';

/** `count` RGB images of 12 rows x 16 columns (not square), 3 colour classes: class k has channel k bright. */
function colourSet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const per = 12 * 16 * 3;
  const images = new Uint8Array(count * per);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 12 * 16; p++) for (let k = 0; k < 3; k++) images[i * per + p * 3 + k] = (k === i % 3 ? 180 : 50) + rng.int(40);
  }
  return { images, labels, count, height: 12, width: 16, channels: 3, numClasses: 3 };
}

describe('purify on each new architecture, 12x16 RGB images, width 2 (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // Scored neurons (auto): vgg-s 2+2+4+4+8+8 convs + 16 hidden Dense = 44; preact-resnet18 stem 2 + 4 convs each at
  // 2, 4, 8, 16 = 122 (shortcuts skipped); mobilenet-s stem 2 + dw/pw 2/4, 4/8, 8/8, 8/16, 16/16 = 92.
  it.each([
    ['vgg-s', 44],
    ['preact-resnet18', 122],
    ['mobilenet-s', 92],
  ] as [Arch, number][])('%s: ranks %i neurons, re-initialises floor(0.1 n), leaves no tensor', async (arch, total) => {
    const model = buildModel(arch, { inputShape: [12, 16, 3], numClasses: 3, width: 2, seed: 1 });
    try {
      const before = tf.memory().numTensors;
      const { model: out, report } = await purify(model, colourSet(24, 2), {
        fraction: 0.1,
        invert: false,
        augment: { padding: 2 },
        seed: 3,
        unlearn: { maxEpochs: 2, batchSize: 12 },
        finetune: { epochs: 1, batchSize: 12 },
        extrapolate: { epochs: 1 },
      });
      expect(report.totalNeurons).toBe(total);
      expect(report.neurons).toBe(Math.floor(0.1 * total));
      const y = tf.tidy(() => out.predict(tf.zeros([2, 12, 16, 3])) as tf.Tensor);
      expect(y.shape).toEqual([2, 3]);
      y.dispose();
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
