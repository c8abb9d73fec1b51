import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { IoError } from '../../src/errors';
import { fileHandler, loadModel, saveModel, writeFileAtomic } from '../../src/node';
import { preactResnetS } from '../../src/models/preact_resnet_s';
import { Rng } from '../../src/internal/rng';
import { expectNoLeak } from '../helpers/leak';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(join(os.tmpdir(), 'tsbd-io-test-'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  jest.restoreAllMocks();
});

let counter = 0;
/** A fresh, empty parent directory per test, so leftovers can be listed exactly. */
function freshParent(): string {
  counter += 1;
  const dir = join(root, `case${counter}`);
  fs.mkdirSync(dir);
  return dir;
}

/** Dense 2 -> 2 with kernel [[k, 2], [3, 4]] and bias [0.5, -0.5]: 6 float32 parameters = 24 bytes. */
function tinyDense(k: number): tfl.Sequential {
  const model = tfl.sequential({ name: 'tiny' });
  model.add(tfl.layers.dense({ name: 'fc', units: 2, inputShape: [2] }));
  tf.tidy(() => model.setWeights([tf.tensor2d([[k, 2], [3, 4]]), tf.tensor1d([0.5, -0.5])]));
  return model;
}

function kernelOf(model: tfl.LayersModel): number[] {
  return Array.from(model.getWeights()[0]?.dataSync() ?? []);
}

async function kernelAt(path: string): Promise<number[]> {
  const m = await loadModel(path);
  try {
    return kernelOf(m);
  } finally {
    m.dispose();
  }
}

describe('fileHandler save/load', () => {
  it('round-trips a BN model: same weights (moving stats included) and the same predictions', async () => {
    const parent = freshParent();
    const target = join(parent, 'model');
    const model = preactResnetS({ inputShape: [8, 8, 1], numClasses: 3, seed: 5 });
    const rng = new Rng(11);
    // random values everywhere, moving variances positive
    tf.tidy(() => model.setWeights(model.weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = Array.from({ length: n }, () => (w.originalName.endsWith('moving_variance') ? 0.5 + rng.next() : rng.next() - 0.5));
      return tf.tensor(vals, shape);
    })));
    const loaded = await (async () => {
      await saveModel(model, target);
      return loadModel(target);
    })();
    try {
      expect(fs.readdirSync(parent)).toEqual(['model']);
      expect(fs.readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']);
      // float32: 4 bytes per parameter
      expect(fs.statSync(join(target, 'weights.bin')).size).toBe(4 * model.countParams());
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      const a = model.getWeights().map((w) => Array.from(w.dataSync()));
      const b = loaded.getWeights().map((w) => Array.from(w.dataSync()));
      expect(b).toEqual(a);
      const [pa, pb] = tf.tidy(() => {
        const x = tf.reshape(tf.linspace(-1, 1, 2 * 64), [2, 8, 8, 1]);
        return [(model.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()];
      });
      expect(Array.from(pb ?? [])).toEqual(Array.from(pa ?? []));
    } finally {
      loaded.dispose();
      model.dispose();
    }
  });

  it('writes the tfjs model.json fields and a 28-byte weights.bin for 6 float32 + 1 int32 values', async () => {
    const parent = freshParent();
    const model = tinyDense(1);
    model.setUserDefinedMetadata({ note: 'hello' });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    try {
      await model.save(fileHandler(join(parent, 'm'), {}), { includeOptimizer: true });
      const json = JSON.parse(fs.readFileSync(join(parent, 'm', 'model.json'), 'utf8')) as Record<string, unknown>;
      expect(json['format']).toBe('layers-model');
      expect(String(json['generatedBy'])).toMatch(/^TensorFlow\.js tfjs-layers v/);
      expect(json['convertedBy']).toBeNull();
      expect(json['userDefinedMetadata']).toEqual({ note: 'hello' });
      expect((json['trainingConfig'] as Record<string, unknown>)['loss']).toBe('mean_squared_error');
      expect(json['weightsManifest']).toEqual([
        {
          paths: ['weights.bin'],
          weights: [
            { name: 'fc/kernel', shape: [2, 2], dtype: 'float32' },
            { name: 'fc/bias', shape: [2], dtype: 'float32' },
            // includeOptimizer: SGD's iteration counter
            { name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' },
          ],
        },
      ]);
      const bytes = fs.readFileSync(join(parent, 'm', 'weights.bin'));
      expect(bytes.byteLength).toBe(28);
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 6))).toEqual([1, 2, 3, 4, 0.5, -0.5]);
      const artifacts = await fileHandler(join(parent, 'm', 'model.json')).load?.();
      expect(artifacts?.userDefinedMetadata).toEqual({ note: 'hello' });
      expect(artifacts?.weightSpecs?.map((s) => s.name)).toEqual(['fc/kernel', 'fc/bias', 'iter']);
      expect(artifacts?.weightData).toBeInstanceOf(ArrayBuffer);
      expect((artifacts?.weightData as ArrayBuffer).byteLength).toBe(28);
    } finally {
      model.dispose();
    }
  });

  it('accepts a model.json path, any *.json name, and file:// URLs', async () => {
    const parent = freshParent();
    const model = tinyDense(7);
    try {
      await saveModel(model, join(parent, 'a', 'model.json'));
      await saveModel(model, join(parent, 'b', 'net.json'));
      await saveModel(model, `file://${join(parent, 'c')}`);
      expect(fs.readdirSync(join(parent, 'b')).sort()).toEqual(['net.json', 'weights.bin']);
      expect(await kernelAt(join(parent, 'a'))).toEqual([7, 2, 3, 4]);
      expect(await kernelAt(join(parent, 'b', 'net.json'))).toEqual([7, 2, 3, 4]);
      expect(await kernelAt(`file://${join(parent, 'c', 'model.json')}`)).toEqual([7, 2, 3, 4]);
    } finally {
      model.dispose();
    }
  });

  it('creates missing parents and saves into an existing empty directory', async () => {
    const parent = freshParent();
    fs.mkdirSync(join(parent, 'empty'));
    const model = tinyDense(2);
    try {
      await saveModel(model, join(parent, 'empty'));
      await saveModel(model, join(parent, 'deep', 'er', 'm'));
      expect(await kernelAt(join(parent, 'empty'))).toEqual([2, 2, 3, 4]);
      expect(await kernelAt(join(parent, 'deep', 'er', 'm'))).toEqual([2, 2, 3, 4]);
      expect(fs.readdirSync(parent).sort()).toEqual(['deep', 'empty']);
    } finally {
      model.dispose();
    }
  });

  it('refuses an existing non-empty directory without force, writing nothing', async () => {
    const parent = freshParent();
    const target = join(parent, 'm');
    const a = tinyDense(1);
    const b = tinyDense(9);
    try {
      await saveModel(a, target);
      const before = fs.readFileSync(join(target, 'weights.bin'));
      await expect(saveModel(b, target)).rejects.toThrow(IoError);
      await expect(saveModel(b, target, { force: false })).rejects.toThrow(/m exists and is not empty; refusing to overwrite it \(use force\)/);
      expect(fs.readFileSync(join(target, 'weights.bin'))).toEqual(before);
      expect(fs.readdirSync(parent)).toEqual(['m']);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('with force replaces an existing model whole and leaves no temp or old directory', async () => {
    const parent = freshParent();
    const target = join(parent, 'm');
    const a = tinyDense(1);
    const b = tinyDense(9);
    try {
      await saveModel(a, target);
      writeFileAtomic(join(target, 'report.json'), '{}');
      await saveModel(b, target, { force: true });
      expect(await kernelAt(target)).toEqual([9, 2, 3, 4]);
      expect(fs.readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']);
      expect(fs.readdirSync(parent)).toEqual(['m']);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('never replaces a non-empty directory that holds no model, even with force', async () => {
    const parent = freshParent();
    fs.mkdirSync(join(parent, 'docs'));
    fs.writeFileSync(join(parent, 'docs', 'notes.txt'), 'keep me');
    const model = tinyDense(1);
    try {
      await expect(saveModel(model, join(parent, 'docs'), { force: true })).rejects.toThrow(/holds no model\.json; refusing to replace it/);
      expect(fs.readdirSync(join(parent, 'docs'))).toEqual(['notes.txt']);
    } finally {
      model.dispose();
    }
  });

  it('a failure mid-write leaves no partial model and no temp directory', async () => {
    const parent = freshParent();
    const model = tinyDense(3);
    // weights.bin is written, then opening model.json fails
    const realOpen = fs.promises.open;
    jest.spyOn(fs.promises, 'open').mockImplementation((async (p: fs.PathLike, ...rest: unknown[]) => {
      if (String(p).endsWith('model.json')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return (realOpen as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(p, ...rest);
    }) as typeof fs.promises.open);
    try {
      await expect(saveModel(model, join(parent, 'm'))).rejects.toThrow(/could not save the model to .*m: ENOSPC/);
      expect(fs.readdirSync(parent)).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  it('a failure while replacing with force keeps the old model intact', async () => {
    const parent = freshParent();
    const target = join(parent, 'm');
    const a = tinyDense(1);
    const b = tinyDense(9);
    try {
      await saveModel(a, target);
      const realOpen = fs.promises.open;
      const open = jest.spyOn(fs.promises, 'open').mockImplementation((async (p: fs.PathLike, ...rest: unknown[]) => {
        if (String(p).endsWith('model.json')) throw new Error('EIO: i/o error');
        return (realOpen as (...x: unknown[]) => Promise<fs.promises.FileHandle>)(p, ...rest);
      }) as typeof fs.promises.open);
      await expect(saveModel(b, target, { force: true })).rejects.toThrow(IoError);
      open.mockRestore();
      expect(await kernelAt(target)).toEqual([1, 2, 3, 4]);
      expect(fs.readdirSync(parent)).toEqual(['m']);

      // the swap itself fails after the old model was moved aside: it is moved back
      const realRename = fs.promises.rename;
      jest.spyOn(fs.promises, 'rename').mockImplementation(async (from: fs.PathLike, to: fs.PathLike) => {
        if (String(from).includes('.tsbd-tmp-')) throw new Error('EXDEV: cross-device link');
        return realRename(from, to);
      });
      await expect(saveModel(b, target, { force: true })).rejects.toThrow(/EXDEV/);
      jest.restoreAllMocks();
      expect(await kernelAt(target)).toEqual([1, 2, 3, 4]);
      expect(fs.readdirSync(parent)).toEqual(['m']);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('load reports missing or bad files by path', async () => {
    const parent = freshParent();
    await expect(loadModel(join(parent, 'nope'))).rejects.toThrow(IoError);
    await expect(loadModel(join(parent, 'nope'))).rejects.toThrow(`cannot read model file ${join(parent, 'nope', 'model.json')}: not found`);
    const model = tinyDense(1);
    try {
      await saveModel(model, join(parent, 'm'));
    } finally {
      model.dispose();
    }
    fs.rmSync(join(parent, 'm', 'weights.bin'));
    await expect(loadModel(join(parent, 'm'))).rejects.toThrow(`cannot read weights file ${join(parent, 'm', 'weights.bin')}: not found`);
    fs.writeFileSync(join(parent, 'm', 'model.json'), '{"modelTopology": ');
    await expect(loadModel(join(parent, 'm'))).rejects.toThrow(/model\.json is not valid JSON/);
    fs.writeFileSync(join(parent, 'm', 'model.json'), '{"foo": 1}');
    await expect(loadModel(join(parent, 'm'))).rejects.toThrow(/needs modelTopology and weightsManifest/);
    fs.writeFileSync(join(parent, 'm', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../x.bin'], weights: [] }] }));
    await expect(loadModel(join(parent, 'm'))).rejects.toThrow(/names weights file "\.\.\/x\.bin" outside its directory/);
  });

  it('reads every shard of a multi-file manifest in order', async () => {
    const parent = freshParent();
    const model = tinyDense(5);
    try {
      await saveModel(model, join(parent, 'm'));
    } finally {
      model.dispose();
    }
    // split weights.bin (24 bytes) into two shards: kernel (16 bytes) and bias (8 bytes)
    const dir = join(parent, 'm');
    const bytes = fs.readFileSync(join(dir, 'weights.bin'));
    fs.writeFileSync(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 16));
    fs.writeFileSync(join(dir, 'group1-shard2of2.bin'), bytes.subarray(16));
    fs.rmSync(join(dir, 'weights.bin'));
    const json = JSON.parse(fs.readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    (json.weightsManifest[0] as { paths: string[] }).paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    fs.writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const loaded = await loadModel(dir);
    try {
      expect(kernelOf(loaded)).toEqual([5, 2, 3, 4]);
      expect(Array.from(loaded.getWeights()[1]?.dataSync() ?? [])).toEqual([0.5, -0.5]);
    } finally {
      loaded.dispose();
    }
  });

  it('save + load + dispose leaves the tensor count unchanged', async () => {
    const parent = freshParent();
    const model = tinyDense(1);
    try {
      await expectNoLeak(async () => {
        await saveModel(model, join(parent, 'm'), { force: true });
        (await loadModel(join(parent, 'm'))).dispose();
      });
    } finally {
      model.dispose();
    }
  });
});
