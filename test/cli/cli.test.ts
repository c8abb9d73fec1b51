import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsbd } from '../helpers/run_cli';


describe('tsbd CLI (wasm backend, committed subset)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tsbd-cli-'))));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it('attack -> eval -> purify, each printing exactly one JSON object with --json', async () => {
    const attackOut = join(dir, 'attacked');
    const a = await tsbd('--backend', 'wasm', 'attack', '--data', 'fashion-mnist-subset', '--arch', 'small-cnn', '--train-size', '400',
      '--epochs', '1', '--patch-pos', 'tl', '--patch-pattern', 'checker', '--poison-rate', '0.05', '--seed', '2', '--out', attackOut, '--json', '--quiet');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const attacked = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(Object.keys(attacked).sort()).toEqual(['acc', 'asr', 'out', 'ra']);
    expect(a.stdout.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(attackOut).sort()).toEqual(['attack.json', 'model.json', 'weights.bin']);
    const config = JSON.parse(readFileSync(join(attackOut, 'attack.json'), 'utf8')) as Record<string, unknown>;
    const { psnr, ...rest } = config;
    expect(rest).toEqual({ name: 'badnets', patchSize: 3, position: 'tl', pattern: 'checker', patternSeed: 0, target: 0, rate: 0.05, seed: 2, mode: 'all-to-one' });
    // a 3x3 checker puts 5 white pixels on the (almost always black) corner: MSE 5 * 255^2 / 784, PSNR 10 log10(784 / 5)
    expect(psnr).toBeCloseTo(10 * Math.log10(784 / 5), 2);

    const e = await tsbd('--backend', 'wasm', 'eval', '--model', join(attackOut, 'model.json'), '--data', 'fashion-mnist-subset',
      '--attack', join(attackOut, 'attack.json'), '--json');
    expect(e.code).toBe(0);
    // The same model on the same test split: eval must reproduce the numbers attack reported.
    expect(JSON.parse(e.stdout)).toEqual({ acc: attacked['acc'], asr: attacked['asr'], ra: attacked['ra'] });

    const purifyOut = join(dir, 'purified');
    const p = await tsbd('--backend', 'wasm', 'purify', '--model', attackOut, '--data', 'fashion-mnist-subset', '--clean-fraction', '0.01',
      '--n', '0.1', '--epochs', '1', '--extrapolate-epochs', '1', '--seed', '1', '--out', purifyOut, '--json', '--quiet');
    expect(p.code).toBe(0);
    const purified = JSON.parse(p.stdout) as { n: number; neurons: number; weights: number; seconds: Record<string, number>; out: string };
    expect(purified.n).toBe(0.1);
    // small-cnn scores 16 + 16 + 32 + 32 = 96 conv neurons; floor(0.1 * 96) = 9.
    expect(purified.neurons).toBe(9);
    expect(Object.keys(purified.seconds)).toEqual(['invert', 'unlearn', 'select', 'reinit', 'warmup', 'finetune', 'extrapolate', 'release', 'total']);
    expect(readdirSync(purifyOut).sort()).toEqual(['model.json', 'ranking.csv', 'ranking.json', 'report.json', 'weights.bin']);
    const csv = readFileSync(join(purifyOut, 'ranking.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('layer,neuron,score');
    expect(csv).toHaveLength(1 + 96);
    const report = JSON.parse(readFileSync(join(purifyOut, 'report.json'), 'utf8')) as { cleanCount: number; neurons: number };
    expect(report.cleanCount).toBe(80);
    expect(report.neurons).toBe(9);
  });

  it('refuses an existing output without --force (exit 2, nothing written) and bad usage', async () => {
    const taken = join(dir, 'attacked');
    const before = readFileSync(join(taken, 'model.json'), 'utf8');
    const r = await tsbd('--backend', 'wasm', 'purify', '--model', taken, '--data', 'fashion-mnist-subset', '--out', taken, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/exists and is not empty; pass --force to replace it/);
    expect(readFileSync(join(taken, 'model.json'), 'utf8')).toBe(before);
    const bad = await tsbd('attack', '--data', 'fashion-mnist-subset', '--poison-rate', '2', '--out', join(dir, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected a fraction in \[0, 1\], received '2'/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    const noFile = await tsbd('eval', '--model', join(dir, 'missing', 'model.json'), '--data', 'fashion-mnist-subset');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/missing/);
  });
});
