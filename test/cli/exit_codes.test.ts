import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsbd } from '../helpers/run_cli';

/** A tiny attack run (small-cnn, 200 images, 1 epoch on wasm): seconds, and it ends by writing a model. */
const attack = (out: string, ...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  tsbd('--backend', 'wasm', 'attack', '--data', 'fashion-mnist-subset', '--arch', 'small-cnn', '--train-size', '200',
    '--epochs', '1', '--out', out, '--quiet', ...more);

describe('tsbd --version, exit codes and output folder modes', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tsbd-exit-'))));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it('--version and -V print the package version and nothing else, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await tsbd(flag);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('bad usage exits 2: an unknown option, a bad value, an output that exists without --force', async () => {
    expect((await tsbd('attack', '--no-such-flag')).code).toBe(2);
    const bad = await tsbd('attack', '--data', 'fashion-mnist-subset', '--poison-rate', '2', '--out', join(dir, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--poison-rate/);
    const normalize = await tsbd('purify', '--model', join(dir, 'm'), '--data', 'fashion-mnist-subset', '--out', join(dir, 'p'), '--normalize', 'layer');
    expect(normalize.code).toBe(2);
    expect(normalize.stderr).toMatch(/--normalize <how>' argument 'layer' is invalid. Allowed choices are per-tensor, global/);
    const first = await attack(join(dir, 'taken'));
    expect(first.code).toBe(0);
    const again = await attack(join(dir, 'taken'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists and is not empty; pass --force/);
  });

  it('a failed write exits 1 with the error, and leaves no model behind', async () => {
    const realOpen = fs.promises.open;
    const spy = jest.spyOn(fs.promises, 'open').mockImplementation((async (p: fs.PathLike, ...rest: unknown[]) => {
      if (String(p).endsWith('model.json')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return (realOpen as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(p, ...rest);
    }) as typeof fs.promises.open);
    try {
      const r = await attack(join(dir, 'full'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tsbd: error: could not save the model to .*full: ENOSPC/);
      expect(fs.existsSync(join(dir, 'full'))).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it("creates output folders with the user's umask (0755 under umask 022, 0750 under 027), not 0700", async () => {
    const saved = process.umask(0o022);
    try {
      expect((await attack(join(dir, 'u022'))).code).toBe(0);
      expect(statSync(join(dir, 'u022')).mode & 0o777).toBe(0o755);
      expect(statSync(join(dir, 'u022', 'model.json')).mode & 0o777).toBe(0o644);
      process.umask(0o027);
      expect((await attack(join(dir, 'u027'))).code).toBe(0);
      expect(statSync(join(dir, 'u027')).mode & 0o777).toBe(0o750);
      expect(statSync(join(dir, 'u027', 'attack.json')).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(saved);
    }
  });
});
