import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsbd } from '../helpers/run_cli';
import * as tsbdDefense from '../../src/defenses/tsbd';
import { ConfigError } from '../../src/errors';
import { seededSample } from '../../src/cli/options';
import { loadFashionMnist } from '../../src/data/fashion_mnist';
import type { ImageSet } from '../../src/data/image_set';
import { saveModel } from '../../src/io/file_handler';


const seeded = (seed: number): ReturnType<typeof tfl.initializers.glorotUniform> => tfl.initializers.glorotUniform({ seed });

/** 28x28x1 -> 'c' (Conv2D 4x4 stride 4, 2 filters) -> 7x7x2 -> flatten -> 'hid' (Dense 4) -> 'out' (Dense 10). */
function convNet(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 4, strides: 4, name: 'c', kernelInitializer: seeded(1) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, activation: 'relu', name: 'hid', kernelInitializer: seeded(2) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: seeded(3) }),
    ],
  });
}

/** A conv-free model: flatten -> 'hid' (Dense 4) -> 'out' (Dense 10). */
function denseNet(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 4, activation: 'relu', name: 'hid', kernelInitializer: seeded(4) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: seeded(5) }),
    ],
  });
}

describe('tsbd purify --layers / --unlearn-lr (cpu backend, committed subset)', () => {
  let dir: string;
  const base = (model: string, out: string, ...more: string[]): string[] => [
    '--backend', 'cpu', 'purify', '--model', join(dir, model), '--data', 'fashion-mnist-subset',
    '--clean-fraction', '0.005', '--n', '0.5', '--epochs', '1', '--seed', '3', '--out', join(dir, out), '--json', '--quiet', ...more,
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-purify-flags-'));
    for (const [name, make] of [['conv', convNet], ['dense', denseNet]] as const) {
      const m = make();
      await saveModel(m, join(dir, name));
      m.dispose();
    }
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it('hands --layers and --unlearn-lr to purify as layers and unlearn.lr; without them, layers auto and no unlearn', async () => {
    // Stop purify at the call: only the options it was given matter here.
    const spy = jest.spyOn(tsbdDefense, 'purify').mockRejectedValue(new ConfigError('stopped by the test'));
    const withFlags = await tsbd(...base('conv', 'o1', '--layers', 'conv+dense', '--unlearn-lr', '2.5e-3'));
    expect(withFlags.code).toBe(2);
    expect(withFlags.stderr).toMatch(/stopped by the test/);
    const plain = await tsbd(...base('conv', 'o2'));
    expect(plain.code).toBe(2);
    expect(spy).toHaveBeenCalledTimes(2);
    const [first, second] = spy.mock.calls.map((c) => c[2] ?? {});
    expect(first).toMatchObject({ layers: 'conv+dense', unlearn: { lr: 0.0025 }, fraction: 0.5 });
    expect(second).toMatchObject({ layers: 'auto', fraction: 0.5 });
    expect(second).not.toHaveProperty('unlearn'); // purify's own default (0.01) applies
    // --clean-fraction 0.005 of the subset's 8,000 training images: 40 clean images.
    expect(spy.mock.calls[0]?.[1].count).toBe(40);
  });

  it("--skip-first N with the attack's --train-size N and seed draws clean images the attacker never trained on", async () => {
    const spy = jest.spyOn(tsbdDefense, 'purify').mockRejectedValue(new ConfigError('stopped by the test'));
    expect((await tsbd(...base('conv', 's1', '--skip-first', '7000'))).code).toBe(2);
    expect((await tsbd(...base('conv', 's2'))).code).toBe(2);
    // What `tsbd attack --train-size 7000 --seed 3` trains on: the first 7,000 of the seed-3 shuffle.
    const attacked = new Set<string>();
    const train = seededSample(loadFashionMnist('subset').train, 7000, 3);
    for (let i = 0; i < train.count; i++) attacked.add(Buffer.from(train.images.subarray(i * 784, (i + 1) * 784)).toString('base64'));
    const seen = (set: ImageSet): number =>
      Array.from({ length: set.count }, (_, i) => Buffer.from(set.images.subarray(i * 784, (i + 1) * 784)).toString('base64')).filter((k) => attacked.has(k)).length;
    const [skipped, plain] = spy.mock.calls.map((c) => c[1]);
    expect(skipped?.count).toBe(40);
    expect(seen(skipped as ImageSet)).toBe(0);
    expect(seen(plain as ImageSet)).toBe(40); // the default draw: the first 40 of the same shuffle
    const tooMany = await tsbd(...base('conv', 's3', '--skip-first', '7990'));
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/cannot skip 7990 images and then take 40: the training split holds 8000/);
  });

  it("--layers conv+dense scores the hidden Dense too: 2 conv + 4 dense neurons ranked, n = 0.5 zeroes 3", async () => {
    const r = await tsbd(...base('conv', 'cd', '--layers', 'conv+dense', '--unlearn-lr', '0.1', '--invert', 'off'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ n: 0.5, neurons: 3 });
    const report = JSON.parse(readFileSync(join(dir, 'cd', 'report.json'), 'utf8')) as { totalNeurons: number; cleanCount: number };
    expect(report.totalNeurons).toBe(6);
    expect(report.cleanCount).toBe(40);
    const rows = readFileSync(join(dir, 'cd', 'ranking.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(6);
    expect(rows.map((row) => row.split(',')[0]).sort()).toEqual(['c', 'c', 'hid', 'hid', 'hid', 'hid']);
  });

  it('--layers conv on a conv-free model reaches purify, which refuses it (exit 2, nothing written)', async () => {
    const r = await tsbd(...base('dense', 'nc', '--layers', 'conv', '--unlearn-lr', '0.1'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/has no layer to score with selection 'conv'/);
    expect(existsSync(join(dir, 'nc', 'model.json'))).toBe(false);
  });

  it('hands --extrapolate and --extrapolate-epochs to purify as extrapolate; without them, factor 1 and 10 epochs', async () => {
    const spy = jest.spyOn(tsbdDefense, 'purify').mockRejectedValue(new ConfigError('stopped by the test'));
    expect((await tsbd(...base('conv', 'x1', '--extrapolate', '0.5', '--extrapolate-epochs', '3'))).code).toBe(2);
    expect((await tsbd(...base('conv', 'x2', '--extrapolate', '0'))).code).toBe(2);
    expect((await tsbd(...base('conv', 'x3'))).code).toBe(2);
    const [a, b, c] = spy.mock.calls.map((call) => call[2] ?? {});
    expect(a).toMatchObject({ extrapolate: { factor: 0.5, epochs: 3 } });
    expect(b).toMatchObject({ extrapolate: { factor: 0, epochs: 10 } });
    expect(c).toMatchObject({ extrapolate: { factor: 1, epochs: 10 } });
  });

  it('hands --head-release to purify as headRelease; without it, 0 (off)', async () => {
    const spy = jest.spyOn(tsbdDefense, 'purify').mockRejectedValue(new ConfigError('stopped by the test'));
    expect((await tsbd(...base('conv', 'r1', '--head-release', '7'))).code).toBe(2);
    expect((await tsbd(...base('conv', 'r2'))).code).toBe(2);
    const [a, b] = spy.mock.calls.map((call) => call[2] ?? {});
    expect(a).toMatchObject({ headRelease: 7 });
    expect(b).toMatchObject({ headRelease: 0 });
  });

  it("hands --invert to purify as invert (on -> true, off -> false); without it, 'auto'", async () => {
    const spy = jest.spyOn(tsbdDefense, 'purify').mockRejectedValue(new ConfigError('stopped by the test'));
    expect((await tsbd(...base('conv', 'i1', '--invert', 'on'))).code).toBe(2);
    expect((await tsbd(...base('conv', 'i2', '--invert', 'off'))).code).toBe(2);
    expect((await tsbd(...base('conv', 'i3'))).code).toBe(2);
    const [a, b, c] = spy.mock.calls.map((call) => call[2] ?? {});
    expect(a).toMatchObject({ invert: true });
    expect(b).toMatchObject({ invert: false });
    expect(c).toMatchObject({ invert: 'auto' });
  });

  it.each(['yes', '1', ''])('--invert %p: exit 2, the message names the flag', async (bad) => {
    const r = await tsbd(...base('conv', 'bad', '--invert', bad));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--invert <mode>' argument '${bad}' is invalid. expected 'auto', 'on' or 'off', received '${bad}'`));
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it.each(['-1', '2.5', 'abc'])('--head-release %p: exit 2, the message names the flag', async (bad) => {
    const r = await tsbd(...base('conv', 'bad', '--head-release', bad));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--head-release <epochs>' argument '${bad}' is invalid. expected a non-negative integer, received '${bad}'`));
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it.each(['-1', 'abc', ''])('--head-shift %p: exit 2, the message names the flag', async (bad) => {
    const r = await tsbd(...base('conv', 'bad', '--head-shift', bad));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--head-shift expects 'auto' or a weight >= 0 \\(0 turns it off\\), received '${bad}'`));
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it.each(['0', '1.5', 'abc'])('--head-shift-rows %p: exit 2, the message names the flag', async (bad) => {
    const r = await tsbd(...base('conv', 'bad', '--head-shift-rows', bad));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--head-shift-rows <share>' argument '${bad}' is invalid. expected a share in \\(0, 1\\], received '${bad}'`));
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it.each(['-1', 'abc', ''])('--extrapolate %p: exit 2, the message names the flag', async (bad) => {
    const r = await tsbd(...base('conv', 'bad', '--extrapolate', bad));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--extrapolate expects a factor >= 0 \\(0 turns it off\\), received '${bad}'`));
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it.each(['0', '-0.01', 'abc', 'Infinity', ''])('--unlearn-lr %p: exit 2, the message names the flag', async (bad) => {
    const r = await tsbd(...base('conv', 'bad', '--unlearn-lr', bad));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--unlearn-lr/);
    expect(r.stderr).toMatch(new RegExp(`expects a positive number \\(a learning rate\\), received '${bad}'`));
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('--layers with an unknown value: exit 2, the message names the flag and the choices', async () => {
    const r = await tsbd(...base('conv', 'bad', '--layers', 'dense'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--layers/);
    expect(r.stderr).toMatch(/auto, conv, conv\+dense/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});
