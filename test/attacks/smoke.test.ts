import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsbd } from '../helpers/run_cli';

/**
 * One short poisoned training run per attack on the committed subset, through the CLI: `tsbd attack` on 2,000
 * images for 2 epochs (small-cnn, wasm, seed 1), then `tsbd eval` re-creating the attack from attack.json and its
 * saved assets must give the same numbers. The bars sit below what these runs gave on 2026-12-02 (badnets 0.991,
 * blended 0.949, sig 0.387 with BackdoorBench's rate, wanet 0.367 with s = 4, lf 0.702, trojan 0.988, input-aware 0.933 with 100 generator steps, ssba 0.623; trojan first trains a 1-epoch
 * reference, input-aware its generator, ssba its encoder) and far above chance: a model that ignores the trigger
 * sends a few percent of the non-target test images to class 0. WaNet's default field (s = 0.5, under half a pixel
 * of displacement) is not learned in 2 epochs on 2,000 images (ASR 0.09 at s = 0.5), so the smoke run uses s = 4.
 * SIG's default rate, 0.1 of the target class, stamps 20 images here (ASR 0.04), so the smoke run takes
 * BackdoorBench's rate, 0.1 of the training set (the whole class, about 200 images). The full-size runs with the
 * defaults are in the README.
 */
const RUNS: { attack: string; flags: string[]; minAsr: number; assets: string[] }[] = [
  { attack: 'badnets', flags: [], minAsr: 0.9, assets: [] },
  { attack: 'blended', flags: [], minAsr: 0.8, assets: ['blended-pattern.bin'] },
  { attack: 'sig', flags: ['--sig-rate-of', 'training-set'], minAsr: 0.25, assets: [] },
  { attack: 'wanet', flags: ['--wanet-s', '4'], minAsr: 0.3, assets: ['wanet-grid.bin'] },
  { attack: 'lf', flags: [], minAsr: 0.5, assets: ['lf-perturbation.bin'] },
  { attack: 'trojan', flags: [], minAsr: 0.8, assets: ['trojan-patch.bin'] },
  { attack: 'input-aware', flags: ['--ia-steps', '100'], minAsr: 0.7, assets: ['input-aware-generator.bin'] },
  { attack: 'ssba', flags: [], minAsr: 0.4, assets: ['ssba-encoder.bin'] },
];

describe('a short poisoned training run per attack (committed subset, wasm)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-smoke-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it.each(RUNS)('$attack: ASR well above chance, tsbd eval re-stamps exactly the saved attack, tsbd purify runs on it', async ({ attack, flags, minAsr, assets }) => {
    const out = join(dir, attack);
    const a = await tsbd('--backend', 'wasm', 'attack', '--data', 'fashion-mnist-subset', '--arch', 'small-cnn', '--attack', attack, ...flags,
      '--train-size', '2000', '--epochs', '2', '--seed', '1', '--out', out, '--json', '--quiet');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const r = JSON.parse(a.stdout) as { acc: number; asr: number; ra: number };
    expect(r.acc).toBeGreaterThan(0.6);
    expect(r.asr).toBeGreaterThan(minAsr);
    expect(readdirSync(out).sort()).toEqual(['attack.json', 'model.json', 'weights.bin', ...assets].sort());
    const e = await tsbd('--backend', 'wasm', 'eval', '--model', out, '--data', 'fashion-mnist-subset', '--attack', join(out, 'attack.json'), '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual({ acc: r.acc, asr: r.asr, ra: r.ra });

    // tsbd purify runs on every attack's output, and tsbd eval on what it wrote (short settings: this checks that
    // the commands run on each attack's files, not how well the defense does).
    const purified = join(dir, `${attack}-purified`);
    const p = await tsbd('--backend', 'wasm', 'purify', '--model', out, '--data', 'fashion-mnist-subset', '--clean-fraction', '0.02',
      '--n', '0.1', '--epochs', '1', '--extrapolate-epochs', '1', '--seed', '2', '--out', purified, '--json', '--quiet');
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    // small-cnn scores its four convs, 16 + 16 + 32 + 32 = 96 neurons; floor(0.1 * 96) = 9 are re-initialised.
    expect((JSON.parse(p.stdout) as { neurons: number }).neurons).toBe(9);
    const pe = await tsbd('--backend', 'wasm', 'eval', '--model', purified, '--data', 'fashion-mnist-subset', '--attack', join(out, 'attack.json'), '--json');
    expect(pe.code).toBe(0);
    const pm = JSON.parse(pe.stdout) as { acc: number; asr: number; ra: number };
    for (const v of [pm.acc, pm.asr, pm.ra]) expect(v >= 0 && v <= 1).toBe(true);
  }, 300_000);
});
