import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsbd } from '../helpers/run_cli';

/**
 * `tsbd attack`, `tsbd purify` and `tsbd eval` on every architecture of the zoo, through the CLI, on the committed
 * subset: the commands must run end to end on each family (residual adds, BatchNorm, depthwise blocks, a Dense 512
 * behind a flatten), not reach any accuracy. Training is one epoch on 400 images, so nothing here measures the
 * defense. What is checked beyond the exit codes is how many neurons each family exposes to NWC, counted by hand
 * from its definition (src/models), and that purify re-initialised floor(0.1 of them). The trigger inversion is off
 * here (`--invert off`): it would add minutes on the Dense-head families, and test/defenses/trigger_inversion.test.ts
 * covers it.
 */
const ARCHS: { arch: string; width: string[]; total: number }[] = [
  // convs 16, 16, 32, 32.
  { arch: 'small-cnn', width: [], total: 96 },
  // convs 32, 32, 64, 64 and the hidden Dense 512 (scored under 'auto'); the output Dense never is.
  { arch: 'tfjs-examples-cnn', width: [], total: 704 },
  // stem 16, then two convs per block at 16, 32, 64; the 1x1 projection shortcuts are skipped.
  { arch: 'preact-resnet-s', width: [], total: 240 },
  // width 2: convs 2, 2, 4, 4, 8, 8 and the hidden Dense 16.
  { arch: 'vgg-s', width: ['--width', '2'], total: 44 },
  // width 2: stem 2, then four convs at each of 2, 4, 8, 16 (shortcuts skipped).
  { arch: 'preact-resnet18', width: ['--width', '2'], total: 122 },
  // width 2: stem 2, then depthwise / pointwise 2/4, 4/8, 8/8, 8/16, 16/16 (pointwise layers scored).
  { arch: 'mobilenet-s', width: ['--width', '2'], total: 92 },
];

describe('attack, purify and eval through the CLI on every architecture (committed subset, wasm)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-archs-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it.each(ARCHS)('$arch: all three commands exit 0; purify ranks $total neurons and re-initialises a tenth', async ({ arch, width, total }) => {
    const attacked = join(dir, `${arch}-attacked`);
    const a = await tsbd('--backend', 'wasm', 'attack', '--data', 'fashion-mnist-subset', '--arch', arch, ...width,
      '--train-size', '400', '--epochs', '1', '--seed', '3', '--out', attacked, '--json', '--quiet');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);

    const purified = join(dir, `${arch}-purified`);
    const p = await tsbd('--backend', 'wasm', 'purify', '--model', attacked, '--data', 'fashion-mnist-subset', '--clean-fraction', '0.02',
      '--n', '0.1', '--epochs', '1', '--extrapolate-epochs', '1', '--invert', 'off', '--seed', '4', '--out', purified, '--json', '--quiet');
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const pr = JSON.parse(p.stdout) as { n: number; neurons: number; weights: number };
    expect(pr.n).toBe(0.1);
    expect(pr.neurons).toBe(Math.floor(0.1 * total));
    expect(pr.weights).toBeGreaterThan(0);
    expect(readFileSync(join(purified, 'ranking.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + total);

    const e = await tsbd('--backend', 'wasm', 'eval', '--model', purified, '--data', 'fashion-mnist-subset', '--attack', join(attacked, 'attack.json'), '--json');
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout) as { acc: number; asr: number; ra: number };
    for (const v of [m.acc, m.asr, m.ra]) expect(v >= 0 && v <= 1).toBe(true);
  }, 240_000);
});
