import type { AttackAsset } from '../../src/attacks/attack';
import { assetFloats, floatAsset } from '../../src/attacks/asset_store';
import { LowFrequency, lowFrequency } from '../../src/attacks/lf';
import { ConfigError } from '../../src/errors';
import { flatSet, oneImage } from './fixtures';

describe('LF (Zeng et al. 2021)', () => {
  it('adds its perturbation, rounded and clamped: golden pixels from a given perturbation', () => {
    const a = new LowFrequency({}, { perturbation: floatAsset(Float32Array.from([12.4, 25, -20, -0.5]), [2, 2, 1]) });
    expect(Array.from(a.applyTrigger(oneImage([100, 250, 5, 7], 2, 2)).images)).toEqual([112, 255, 0, 7]);
  });

  it('the drawn perturbation peaks at exactly epsilon, has zero mean per channel (no constant term) and is fixed by the seed', () => {
    const p = (seed: number, eps = 25) => assetFloats(lowFrequency({ seed, epsilon: eps }).assets(16, 16, 3).perturbation as AttackAsset);
    const v = p(2);
    expect(Math.max(...Array.from(v, Math.abs))).toBeCloseTo(25, 4);
    for (let k = 0; k < 3; k++) {
      let sum = 0;
      for (let i = k; i < v.length; i += 3) sum += v[i] as number;
      expect(Math.abs(sum / 256)).toBeLessThan(1e-4); // cos(pi u (r + 0.5) / 16) sums to 0 over r for u = 1, 2
    }
    expect(p(2)).toEqual(v);
    expect(p(3)).not.toEqual(v);
    expect(Math.max(...Array.from(p(2, 10), Math.abs))).toBeCloseTo(10, 4);
  });

  it('is smooth: neighbouring pixels differ by less than half of epsilon (a noise pattern would jump by up to 2 epsilon)', () => {
    const v = assetFloats(lowFrequency({ seed: 1, bands: 3 }).assets(28, 28, 1).perturbation as AttackAsset);
    let step = 0;
    for (let r = 0; r < 28; r++) for (let c = 1; c < 28; c++) step = Math.max(step, Math.abs((v[r * 28 + c] as number) - (v[r * 28 + c - 1] as number)));
    expect(step).toBeLessThan(25 * 0.5); // a cosine of at most 2 half-periods across 28 pixels moves < 0.23 of its range per pixel
  });

  it('poisons round(rate N) non-target images, relabelled; same seed, same bytes; bad options refused', () => {
    const set = flatSet(30, 4, 4, 128, 3);
    const { set: out, indices } = lowFrequency({ rate: 0.2, target: 1, seed: 8 }).poison(set);
    expect(indices.length).toBe(6);
    for (const i of indices) expect(out.labels[i]).toBe(1);
    expect(lowFrequency({ rate: 0.2, target: 1, seed: 8 }).poison(set).set.images).toEqual(out.images);
    expect(() => lowFrequency({ epsilon: 0 })).toThrow(ConfigError);
    expect(() => lowFrequency({ bands: 1 })).toThrow(/bands must be an integer in \[2, 64\]/);
  });
});
