import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_RECORD_BYTES } from '../../src/data/cifar10';
import { Rng } from '../../src/internal/rng';
import { tsbd } from '../helpers/run_cli';

/**
 * `count` CIFAR-10 records of classes 0..2: class k has channel k at 200 and the others at 40, each pixel jittered by
 * up to +-20, so that a tiny net learns the classes in a few epochs; a 3x3 white BadNets patch is foreign to them.
 */
function records(count: number, rng: Rng): Buffer {
  const out = Buffer.alloc(count * CIFAR10_RECORD_BYTES);
  for (let i = 0; i < count; i++) {
    const off = i * CIFAR10_RECORD_BYTES;
    const label = i % 3;
    out[off] = label;
    for (let k = 0; k < 3; k++) {
      for (let p = 0; p < 1024; p++) out[off + 1 + k * 1024 + p] = (k === label ? 200 : 40) + rng.int(41) - 20;
    }
  }
  return out;
}

describe('attack, purify and eval on 32x32 RGB data (CIFAR-10 binary fixture, mobilenet-s)', () => {
  let dir: string;
  let data: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-rgb-'));
    data = join(dir, 'cifar-10-batches-bin');
    mkdirSync(data);
    const rng = new Rng(4);
    for (let b = 1; b <= 5; b++) writeFileSync(join(data, `data_batch_${b}.bin`), records(48, rng));
    writeFileSync(join(data, 'test_batch.bin'), records(60, rng));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it('runs the three commands end to end, the pointwise layers among the ranked neurons', async () => {
    const attacked = join(dir, 'attacked');
    const a = await tsbd('--backend', 'wasm', 'attack', '--data', dir, '--arch', 'mobilenet-s', '--width', '4', '--epochs', '8',
      '--batch-size', '16', '--lr', '0.01', '--poison-rate', '0.1', '--seed', '1', '--out', attacked, '--json', '--quiet');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const am = JSON.parse(a.stdout) as { acc: number; asr: number; ra: number };
    // 240 training images of three colour classes: the clean task is easy; the 24 stamped ones teach the patch.
    // (At 4 epochs the BN moving statistics still lag the weights: test ACC was 0.67 while training ACC was 0.975.)
    expect(am.acc).toBeGreaterThan(0.9);
    expect(am.asr).toBeGreaterThan(0.9);

    const e = await tsbd('--backend', 'wasm', 'eval', '--model', attacked, '--data', data, '--format', 'cifar10', '--attack', join(attacked, 'attack.json'), '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual({ acc: am.acc, asr: am.asr, ra: am.ra }); // the same model on the same test split

    const purified = join(dir, 'purified');
    const p = await tsbd('--backend', 'wasm', 'purify', '--model', attacked, '--data', dir, '--clean-fraction', '0.25', '--n', '0.1',
      '--epochs', '2', '--extrapolate-epochs', '1', '--seed', '2', '--out', purified, '--json', '--quiet');
    expect(p.code).toBe(0);
    // mobilenet-s at width 4 scores stem 4 + (dw 4 + pw 8) + (8 + 16) + (16 + 16) + (16 + 32) + (32 + 32) = 184
    // neurons, the 1x1 pointwise convs included; floor(0.1 * 184) = 18 are re-initialised.
    expect((JSON.parse(p.stdout) as { neurons: number }).neurons).toBe(18);
    const csv = readFileSync(join(purified, 'ranking.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 184);
    expect(csv.filter((l) => l.startsWith('b5_pw,'))).toHaveLength(32);
    const report = JSON.parse(readFileSync(join(purified, 'report.json'), 'utf8')) as { cleanCount: number };
    expect(report.cleanCount).toBe(60);

    const after = await tsbd('--backend', 'wasm', 'eval', '--model', purified, '--data', dir, '--attack', join(attacked, 'attack.json'), '--json');
    expect(after.code).toBe(0);
    const pm = JSON.parse(after.stdout) as { acc: number; asr: number; ra: number };
    for (const v of [pm.acc, pm.asr, pm.ra]) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('names a --format that does not match the folder and an --image-size CIFAR-10 cannot take (exit 2)', async () => {
    const wrong = await tsbd('eval', '--model', join(dir, 'none'), '--data', dir, '--format', 'gtsrb');
    expect(wrong.code).toBe(2);
    const size = await tsbd('eval', '--model', join(dir, 'none'), '--data', dir, '--image-size', '16');
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/an image size applies to gtsrb, tiny-imagenet and image-folders data, not cifar10/);
    const bad = await tsbd('eval', '--model', join(dir, 'none'), '--data', dir, '--image-size', '16x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected N or HxW in pixels/);
  });
});
