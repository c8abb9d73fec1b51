import { Blended, blended } from '../../src/attacks/blended';
import { createAttack } from '../../src/attacks/registry';
import { ConfigError, DataShapeError } from '../../src/errors';
import { flatSet, oneImage } from './fixtures';

const patternAsset = (values: number[], h: number, w: number, c = 1) => ({ pattern: { bytes: Uint8Array.from(values), dtype: 'uint8' as const, shape: [h, w, c] } });

describe('Blended (Chen et al. 2017)', () => {
  it('stamps (1 - alpha) x + alpha * pattern, rounded: golden pixels for alpha 0.2', () => {
    const a = new Blended({ alpha: 0.2 }, patternAsset([200, 0, 255, 10], 2, 2));
    // 0.8*100+0.2*200 = 120; 0.8*7+0 = 5.6 -> 6; 0.8*250+0.2*255 = 251; 0.8*0+0.2*10 = 2
    expect(Array.from(a.applyTrigger(oneImage([100, 7, 250, 0], 2, 2)).images)).toEqual([120, 6, 251, 2]);
    const half = new Blended({ alpha: 0.5 }, patternAsset([255, 255, 255, 255], 2, 2));
    expect(Array.from(half.applyTrigger(oneImage([255, 0, 1, 2], 2, 2)).images)).toEqual([255, 128, 128, 129]);
  });

  it('the generated pattern is fixed by the seed, covers 0..255 and is the same on every image', () => {
    const set = flatSet(2, 8, 8, 0, 2, 3);
    const p = (seed: number) => blended({ seed }).assets(8, 8, 3).pattern?.bytes as Uint8Array;
    expect(p(5)).toEqual(p(5));
    expect(p(5)).not.toEqual(p(6));
    expect(p(5).length).toBe(192);
    expect(Math.max(...p(5))).toBeGreaterThan(200); // 192 uniform draws: P[max <= 200] = (201/256)^192 < 1e-19
    const out = blended({ alpha: 1, seed: 5 }).applyTrigger(set);
    expect(out.images.subarray(0, 192)).toEqual(p(5));
    expect(out.images.subarray(192)).toEqual(p(5));
  });

  it('poisons round(rate N) non-target images, relabelled; same seed, same bytes', () => {
    const set = flatSet(40, 4, 4, 50);
    const { set: out, indices } = blended({ rate: 0.1, target: 3, seed: 2 }).poison(set);
    expect(indices.length).toBe(4);
    let changed = 0;
    for (let i = 0; i < 40; i++) if (out.images[i * 16] !== 50) changed++;
    expect(changed).toBeLessThanOrEqual(4);
    for (const i of indices) expect(out.labels[i]).toBe(3);
    expect(blended({ rate: 0.1, target: 3, seed: 2 }).poison(set).set.images).toEqual(out.images);
  });

  it('re-created from its config and asset it stamps the same bytes; a wrong-size asset is refused', () => {
    const a = blended({ alpha: 0.3, seed: 9 });
    const set = flatSet(1, 5, 5, 77);
    const b = createAttack(JSON.parse(JSON.stringify(a.config())) as { name: string }, a.assets(5, 5, 1));
    expect(b.applyTrigger(set).images).toEqual(a.applyTrigger(set).images);
    expect(() => b.applyTrigger(flatSet(1, 6, 6, 0))).toThrow(DataShapeError);
    expect(() => new Blended({}, patternAsset([1, 2, 3], 2, 2))).toThrow(/holds 3 bytes; its shape \[2, 2, 1\] of uint8 needs 4/);
    expect(() => blended({ alpha: 0 })).toThrow(ConfigError);
    expect(a.config()).toEqual({ name: 'blended', alpha: 0.3, target: 0, rate: 0.1, seed: 9, mode: 'all-to-one' });
  });
});
