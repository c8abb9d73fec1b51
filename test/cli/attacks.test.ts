import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { tsbd } from '../helpers/run_cli';

describe('tsbd attacks, show-trigger and attack options', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-attacks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tsbd attacks lists every attack with its own options and defaults', async () => {
    const r = await tsbd('attacks', '--json');
    expect(r.code).toBe(0);
    const { attacks } = JSON.parse(r.stdout) as { attacks: { name: string; cleanLabel: boolean; options: { flag: string; default: unknown }[] }[] };
    expect(attacks.map((a) => a.name)).toEqual(['badnets', 'blended', 'sig', 'wanet', 'lf', 'trojan', 'input-aware', 'ssba']);
    const sig = attacks.find((a) => a.name === 'sig');
    expect(sig?.cleanLabel).toBe(true);
    expect(sig?.options).toEqual([
      { flag: '--sig-delta', default: 40, help: 'sinusoid amplitude, 0..255 pixel scale' },
      { flag: '--sig-frequency', default: 6, help: 'sinusoid periods across the image width' },
      { flag: '--sig-rate-of', default: 'target-class', help: '--poison-rate is a fraction of the target class (Barni et al.) or of the training set (BackdoorBench)' },
    ]);
    expect((await tsbd('attacks')).stdout).toMatch(/wanet: .*\n {2}--wanet-k +control grid side/);
  });

  it("refuses another attack's option and a bad value before any work, exit 2", async () => {
    const a = await tsbd('attack', '--data', 'fashion-mnist-subset', '--attack', 'blended', '--sig-delta', '30', '--out', join(dir, 'x'));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--sig-delta applies to --attack sig, not blended/);
    const b = await tsbd('attack', '--data', 'fashion-mnist-subset', '--attack', 'blended', '--blend-alpha', '2', '--out', join(dir, 'x'));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/alpha must be a number in \(0, 1\]; received 2/);
    const c = await tsbd('attack', '--data', 'fashion-mnist-subset', '--attack', 'sig', '--all-to-all', '--out', join(dir, 'x'));
    expect(c.stderr).toMatch(/sig is a clean-label attack/);
  });

  it('--attack none trains the same recipe on clean data: no attack.json, asr and ra null', async () => {
    const out = join(dir, 'clean');
    const a = await tsbd('--backend', 'wasm', 'attack', '--data', 'fashion-mnist-subset', '--arch', 'small-cnn', '--attack', 'none',
      '--train-size', '200', '--epochs', '1', '--seed', '1', '--out', out, '--json', '--quiet');
    expect(a.code).toBe(0);
    const r = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(Object.keys(r).sort()).toEqual(['acc', 'asr', 'out', 'ra']);
    expect([r['asr'], r['ra']]).toEqual([null, null]);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);
    const none = await tsbd('attack', '--data', 'fashion-mnist-subset', '--attack', 'none', '--patch-size', '2', '--out', join(dir, 'y'));
    expect(none.stderr).toMatch(/--patch-size applies to --attack badnets, not none/);
  });

  it('show-trigger writes clean | stamped | difference as a PNG; the SIG difference is the sinusoid', async () => {
    const out = join(dir, 'sig.png');
    const r = await tsbd('show-trigger', '--attack', 'sig', '--sig-frequency', '7', '--index', '2', '--scale', '1', '--out', out);
    expect(r.code).toBe(0);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([28 * 3 + 4, 28]);
    // f = 7 on 28 columns: column 0 and every 4th column have sin(2 pi 7 c / 28) = sin(pi c / 2) = 0: no change
    const diffAt = (row: number, col: number) => png.data[(row * png.width + 2 * 30 + col) * 4];
    expect([diffAt(5, 0), diffAt(5, 4), diffAt(20, 8)]).toEqual([0, 0, 0]);
    expect(diffAt(5, 1)).toBeGreaterThan(0);
  });
});
