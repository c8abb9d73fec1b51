import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badNets } from '../../src/attacks/badnets';
import { subset } from '../../src/data/image_set';
import { ConfigError, DataShapeError } from '../../src/errors';
import { disposeOptimizer } from '../../src/internal/dispose_optimizer';
import { crossEntropyLoss } from '../../src/losses/cross_entropy';
import { evaluate } from '../../src/metrics/evaluate';
import { drawRetunePoison, retuneAttack } from '../../src/metrics/retune_attack';
import * as metrics from '../../src/metrics';
import { cloneModel } from '../../src/models/clone_model';
import { fitImageSet } from '../../src/training/fit_image_set';
import { trainClassifier } from '../../src/training/train_classifier';
import { toyModel, toySet } from '../defenses/toy';
import { expectNoLeak } from '../helpers/leak';

/** Every weight's float32 bits, so that "unchanged" means bit-identical (not approximately equal). */
function weightBits(m: tfl.LayersModel): number[][] {
  return m.getWeights().map((w) => Array.from(new Uint32Array(new Float32Array(w.dataSync()).buffer)));
}

// toySet labels alternate 0, 1, 0, 1, ...: class 1 is bright on the left, class 0 on the right (test/defenses/toy.ts).
const clean = toySet(64, 1);
const pool = toySet(64, 2);
const test = toySet(40, 3);
// A 2x2 white patch in the top-right corner, target 0. On the clean-trained toy model it does nothing (ASR 0).
const attack = badNets({ patchSize: 2, position: 'tr', target: 0 });

describe('drawRetunePoison', () => {
  it('draws exactly K non-target images of the pool, stamped and relabelled to the target', () => {
    const k = 9;
    const { set, indices } = drawRetunePoison(pool, attack, k, 4);
    expect(set.count).toBe(k);
    expect(indices).toHaveLength(k);
    expect(new Set(indices).size).toBe(k);
    expect(Array.from(indices)).toEqual(Array.from(indices).sort((a, b) => a - b));
    for (const i of indices) expect(pool.labels[i]).toBe(1); // none of the target class 0: only odd positions
    expect(Array.from(set.labels)).toEqual(new Array<number>(k).fill(0));
    // The images are the pool's images at `indices` (so none from the clean set), stamped: byte for byte.
    expect(set.images).toEqual(attack.applyTrigger(subset(pool, indices)).images);
    // Top-right 2x2 of image 0 (6x6, 1 channel) is white; the pool's own image there is not.
    expect(set.images[4]).toBe(255);
    expect(pool.images[(indices[0] as number) * 36 + 4]).not.toBe(255);
  });

  it('takes every non-target image when K equals their number, and refuses one more, naming K', () => {
    const small = toySet(10, 5); // labels 0,1,...: the non-target (label 1) images are at 1, 3, 5, 7, 9
    expect(Array.from(drawRetunePoison(small, attack, 5, 0).indices)).toEqual([1, 3, 5, 7, 9]);
    expect(() => drawRetunePoison(small, attack, 6, 0)).toThrow(DataShapeError);
    expect(() => drawRetunePoison(small, attack, 6, 0)).toThrow(/k = 6 poisoned images requested, but the poison pool holds only 5 images not of the target class 0/);
    expect(drawRetunePoison(small, attack, 0, 0).set.count).toBe(0);
  });

  it('is a function of the seed: same seed, same draw; other seeds draw others', () => {
    const a = drawRetunePoison(pool, attack, 5, 7).indices;
    expect(drawRetunePoison(pool, attack, 5, 7).indices).toEqual(a);
    const others = [8, 9, 10].map((s) => Array.from(drawRetunePoison(pool, attack, 5, s).indices).join());
    expect(others.some((o) => o !== Array.from(a).join())).toBe(true);
  });
});

describe('retuneAttack (Min et al. 2024)', () => {
  let model: tfl.LayersModel;
  beforeAll(async () => {
    model = toyModel();
    await trainClassifier(model, clean, { epochs: 5, batchSize: 16, lr: 0.01 });
  });
  afterAll(() => model.dispose());

  it('is exported from the metrics namespace', () => {
    expect(metrics.retuneAttack).toBe(retuneAttack);
    expect('drawRetunePoison' in metrics).toBe(false); // an internal helper, importable from its file only
  });

  it('a trigger the model learns: ASR rises from 0 (K = 0) to >= 0.9 (K = 16), while the input model stays bit-identical', async () => {
    const given = await evaluate(model, test, attack);
    expect(given).toEqual({ acc: 1, asr: 0, ra: 1 });
    const before = weightBits(model);
    const common = { clean, poisonPool: pool, attack, test, batchSize: 16 } as const;
    const r0 = await retuneAttack(model, { ...common, k: 0 });
    const r16 = await retuneAttack(model, { ...common, k: 16 });
    expect(r0).toEqual({ k: 0, acc: 1, asr: 0 }); // clean fine-tuning keeps the model clean
    expect(r16.k).toBe(16);
    expect(r16.asr).toBeGreaterThanOrEqual(0.9); // 16 poisoned among 80 images, 5 epochs: the trigger is learnt
    expect(r16.acc).toBeGreaterThanOrEqual(0.9);
    expect(weightBits(model)).toEqual(before);
    expect(await evaluate(model, test, attack)).toEqual(given);
  });

  it('with a learning rate too small to move a float32 weight, ACC and ASR are those of evaluate on the model as given', async () => {
    const given = await evaluate(model, test, attack);
    const r = await retuneAttack(model, { clean, poisonPool: pool, attack, test, k: 16, lr: 1e-12, epochs: 1 });
    expect(r).toEqual({ k: 16, acc: given.acc, asr: given.asr });
  });

  it('defaults are 5 epochs of SGD lr 0.01 momentum 0.9, batch 64, seed 0: the same as doing it by hand', async () => {
    // K = 16 sits mid-way in the learning of the trigger, so each default moves ACC or ASR (checked below).
    const k = 16;
    const base = { clean, poisonPool: pool, attack, test, k };
    const r = await retuneAttack(model, base);
    const poison = drawRetunePoison(pool, attack, k, 0).set;
    const train = {
      ...clean,
      images: Uint8Array.from([...clean.images, ...poison.images]),
      labels: Uint8Array.from([...clean.labels, ...poison.labels]),
      count: clean.count + k,
    };
    const copy = cloneModel(model);
    const opt = tf.train.momentum(0.01, 0.9);
    copy.compile({ optimizer: opt, loss: crossEntropyLoss('probabilities') });
    await fitImageSet(copy, train, { epochs: 5, batchSize: 64, seed: 0, augment: false, range: { min: 0, max: 1 } });
    const m = await evaluate(copy, test, attack);
    disposeOptimizer(opt);
    copy.dispose();
    expect(r).toEqual({ k, acc: m.acc, asr: m.asr });
    expect(r.asr).toBeGreaterThan(0);
    expect(r.asr).toBeLessThan(1);
    // Changing any one default changes the result, so the comparison above can fail.
    for (const v of [{ lr: 0.005 }, { momentum: 0.5 }, { epochs: 4 }, { batchSize: 32 }, { seed: 1 }]) {
      expect(await retuneAttack(model, { ...base, ...v })).not.toEqual(r);
    }
  });

  it('the same seed gives the same result', async () => {
    const args = { clean, poisonPool: pool, attack, test, k: 8, seed: 3, epochs: 2, batchSize: 16 } as const;
    expect(await retuneAttack(model, args)).toEqual(await retuneAttack(model, args));
  });

  it('leaves tf.memory().numTensors unchanged', async () => {
    await expectNoLeak(() => retuneAttack(model, { clean, poisonPool: pool, attack, test, k: 4, epochs: 1, batchSize: 16 }));
  });

  it('validates its arguments before training, naming the problem', async () => {
    const base = { clean, poisonPool: pool, attack, test, k: 4 };
    const before = tf.memory().numTensors;
    // 64-image pool, half of class 0: 32 candidates.
    await expect(retuneAttack(model, { ...base, k: 33 })).rejects.toThrow(/k = 33 poisoned images requested, but the poison pool holds only 32/);
    await expect(retuneAttack(model, { ...base, k: -1 })).rejects.toThrow(ConfigError);
    await expect(retuneAttack(model, { ...base, k: 1.5 })).rejects.toThrow(/k must be an integer/);
    await expect(retuneAttack(model, { ...base, epochs: 0 })).rejects.toThrow(/epochs must be an integer/);
    await expect(retuneAttack(model, { ...base, lr: 0 })).rejects.toThrow(/lr must be a number in \(0/);
    await expect(retuneAttack(model, { ...base, momentum: 1 })).rejects.toThrow(/momentum/);
    await expect(retuneAttack(model, { ...base, attack: badNets({ target: 2, patchSize: 2 }) })).rejects.toThrow(
      /attack target 2 is not a class of the model \(0\.\.1\)/,
    );
    const small = { ...toySet(4, 9), height: 3, width: 3, images: new Uint8Array(4 * 9) };
    await expect(retuneAttack(model, { ...base, test: small })).rejects.toThrow(/test set images are 3x3x1 but the model expects 6x6x1/);
    await expect(retuneAttack(model, { ...base, poisonPool: toySet(8, 1, 3) })).rejects.toThrow(/poison pool has 3 classes but the model outputs 2/);
    const empty = subset(clean, []);
    await expect(retuneAttack(model, { ...base, clean: empty, k: 0 })).rejects.toThrow(/clean set is empty/);
    // An empty pool is fine with K = 0 (fine-tuning on clean images only) and refused with K > 0.
    await expect(retuneAttack(model, { ...base, poisonPool: subset(pool, []), k: 1 })).rejects.toThrow(/holds only 0 images/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts K = 0 with an empty pool: clean fine-tuning only', async () => {
    // With K = 0 the pool is never drawn from, so an empty one gives exactly the result of a full one.
    const r = await retuneAttack(model, { clean, poisonPool: subset(pool, []), attack, test, k: 0, epochs: 1 });
    expect(r).toEqual(await retuneAttack(model, { clean, poisonPool: pool, attack, test, k: 0, epochs: 1 }));
    expect(r.k).toBe(0);
  });
});

describe('drawRetunePoison and all-to-all attacks', () => {
  it('refuses an all-to-all attack instead of relabelling its images to one class', () => {
    const pool = toySet(8, 1);
    expect(() => drawRetunePoison(pool, badNets({ patchSize: 1, mode: 'all-to-all' }), 2, 0)).toThrow(/relabels to one target class; badnets is all-to-all/);
  });
});
