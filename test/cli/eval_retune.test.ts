import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defenderSplit } from '../../src/data/defender_split';
import { tsbd } from '../helpers/run_cli';
import { seededSample } from '../../src/cli/options';
import type { ImageSet } from '../../src/data/image_set';


/** `count` 1x1x2 images whose two bytes spell their own index (little-endian), so a subset names its indices. */
function indexedSet(count: number): ImageSet {
  const images = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) {
    images[2 * i] = i & 255;
    images[2 * i + 1] = i >> 8;
  }
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, height: 1, width: 1, channels: 2, numClasses: 10 };
}
const indicesOf = (s: ImageSet): number[] => Array.from({ length: s.count }, (_, k) => (s.images[2 * k] as number) + 256 * (s.images[2 * k + 1] as number));

describe('defenderSplit: the clean draw of `tsbd purify` and the rest', () => {
  it.each([
    [0.05, 0, 1000, 50],
    [0.01, 3, 1000, 10],
    [0.0134, 7, 777, 10], // round(10.41) = 10
    [1, 0, 20, 20],
    [0, 0, 20, 0],
  ])('F = %p, S = %p on %p images: clean is seededSample(train, round(F * count), S) (%p images), rest is the others, in order', (f, s, count, n) => {
    const train = indexedSet(count);
    const { clean, rest } = defenderSplit(train, f, s);
    const expected = seededSample(train, Math.round(f * count), s);
    expect(clean.count).toBe(n);
    expect(clean.images).toEqual(expected.images);
    expect(clean.labels).toEqual(expected.labels);
    const inClean = new Set(indicesOf(clean));
    expect(inClean.size).toBe(n);
    expect(indicesOf(rest)).toEqual(Array.from({ length: count }, (_, i) => i).filter((i) => !inClean.has(i)));
    expect(Array.from(rest.labels)).toEqual(indicesOf(rest).map((i) => i % 10));
  });
});

describe('tsbd eval --retune K (wasm backend, committed subset)', () => {
  let dir: string;
  let attacked: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-retune-'));
    attacked = join(dir, 'attacked');
    const a = await tsbd('--backend', 'wasm', 'attack', '--data', 'fashion-mnist-subset', '--arch', 'small-cnn', '--train-size', '300',
      '--epochs', '1', '--seed', '1', '--out', attacked, '--json', '--quiet');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
  }, 120000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it('adds retune: {k, acc, asr} next to the figures of the model as given', async () => {
    const model = join(attacked, 'model.json');
    const attack = join(attacked, 'attack.json');
    const plain = await tsbd('--backend', 'wasm', 'eval', '--model', model, '--data', 'fashion-mnist-subset', '--attack', attack, '--json');
    expect(plain.code).toBe(0);
    const r = await tsbd('--backend', 'wasm', 'eval', '--model', model, '--data', 'fashion-mnist-subset', '--attack', attack,
      '--retune', '3', '--clean-fraction', '0.01', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as { acc: number; asr: number; ra: number; retune: { k: number; acc: number; asr: number } };
    expect(Object.keys(out).sort()).toEqual(['acc', 'asr', 'ra', 'retune']);
    expect(Object.keys(out.retune).sort()).toEqual(['acc', 'asr', 'k']);
    expect(out.retune.k).toBe(3);
    for (const v of [out.retune.acc, out.retune.asr]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    // acc/asr/ra stay those of the model as given: --retune works on a copy.
    const { retune: _retune, ...given } = out;
    void _retune;
    expect(given).toEqual(JSON.parse(plain.stdout));
  }, 120000);

  it('bad usage exits 2 with a clear message and prints nothing on stdout', async () => {
    const model = join(attacked, 'model.json');
    const attack = join(attacked, 'attack.json');
    const data = ['--data', 'fashion-mnist-subset'];
    const cases: [string[], RegExp][] = [
      [['--retune', '3'], /--retune needs --attack/],
      [['--attack', attack, '--retune', '-1'], /expected a non-negative integer, received '-1'/],
      [['--attack', attack, '--retune', '2.5'], /expected a non-negative integer, received '2.5'/],
      [['--attack', attack, '--retune', '3', '--clean-fraction', '1.5'], /expected a fraction in \[0, 1\], received '1.5'/],
      [['--attack', attack, '--clean-fraction', '0.01'], /--clean-fraction and --seed apply only with --retune/],
      [['--attack', attack, '--seed', '2'], /--clean-fraction and --seed apply only with --retune/],
      // The defender holds the whole training split: no other image is left to poison.
      [['--attack', attack, '--retune', '3', '--clean-fraction', '1'], /k = 3 poisoned images requested, but the poison pool holds only 0 images/],
      // K beyond the non-target images among the 8000 - round(0.001 * 8000) = 7992 others.
      [['--attack', attack, '--retune', '1000000', '--clean-fraction', '0.001'], /k = 1000000 poisoned images requested/],
    ];
    for (const [args, message] of cases) {
      const r = await tsbd('--backend', 'wasm', 'eval', '--model', model, ...data, ...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
  }, 120000);
});
