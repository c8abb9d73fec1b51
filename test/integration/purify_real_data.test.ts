import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { badNets } from '../../src/attacks/badnets';
import { selectBackend } from '../../src/backend/select_backend';
import { loadFashionMnist } from '../../src/data/fashion_mnist';
import { subset } from '../../src/data/image_set';
import { purify } from '../../src/defenses/tsbd';
import { evaluate } from '../../src/metrics/evaluate';
import { trainClassifier } from '../../src/training/train_classifier';
import { Rng } from '../../src/internal/rng';

/** A tiny global-pool convnet (about 7k parameters): the family TSBD suits (method.md), small enough for CI. */
function tinyNet(seed: number): tfl.LayersModel {
  const init = (k: number) => tfl.initializers.heNormal({ seed: seed * 10 + k });
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }));
  m.add(tfl.layers.batchNormalization({ momentum: 0.9 }));
  m.add(tfl.layers.reLU());
  m.add(tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(2) }));
  m.add(tfl.layers.batchNormalization({ momentum: 0.9 }));
  m.add(tfl.layers.reLU());
  m.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(3) }));
  m.add(tfl.layers.batchNormalization({ momentum: 0.9 }));
  m.add(tfl.layers.reLU());
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4) }));
  return m;
}

describe('TSBD on real data (committed Fashion-MNIST subset, wasm)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('removes a BadNets backdoor from a tiny model: ASR falls, ACC holds', async () => {
    await selectBackend('wasm');
    const { train, test } = loadFashionMnist('subset');
    const perm = new Rng(5).permutation(train.count);
    const attackSet = subset(train, perm.subarray(0, 6000));
    const clean = subset(train, perm.subarray(6000, 6400)); // 400 clean images the attacker never saw poisoned
    const attack = badNets({ rate: 0.1, target: 0, seed: 5 });
    const model = tinyNet(5);
    await trainClassifier(model, attack.poison(attackSet).set, { epochs: 5, seed: 5 });
    const before = await evaluate(model, test, attack);
    expect(before.asr).toBeGreaterThan(0.9); // the attack took

    const tensorsBefore = tf.memory().numTensors;
    const { model: purified, report } = await purify(model, clean, { seed: 5 });
    const after = await evaluate(purified, test, attack);
    purified.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    // eslint-disable-next-line no-console
    console.log(JSON.stringify({ before, after, n: report.fraction, probes: report.probes, seconds: report.seconds }));
    expect(after.asr).toBeLessThan(0.2);
    expect(before.acc - after.acc).toBeLessThan(0.03); // measured 2026-12-02: 0.731 -> 0.733 (n = 0.1)
    model.dispose();
  }, 600_000);
});
