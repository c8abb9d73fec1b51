import { floatAsset } from '../../src/attacks/asset_store';
import { InputAware, inputAware } from '../../src/attacks/input_aware';
import { createAttack } from '../../src/attacks/registry';
import { ConfigError } from '../../src/errors';
import { expectNoLeak } from '../helpers/leak';
import { flatSet, oneImage } from './fixtures';

/** Generator weights for width 1 on grey images (kernels 9+1, 9+1, 18+2 values), all 0 but the last two biases. */
function constantGenerator(patternBias: number, maskBias: number): Float32Array {
  const w = new Float32Array(40);
  w[38] = patternBias;
  w[39] = maskBias;
  return w;
}

describe('Input-aware (Nguyen & Tran 2020)', () => {
  it('stamps x (1 - m) + p m: golden pixels from a hand-made generator', () => {
    // pattern sigmoid(0) = 0.5 (127.5); any constant raw mask is rescaled to the density: m = 0.5 everywhere.
    // 100 -> 0.5 * 100 + 0.5 * 127.5 = 113.75 -> 114; 0 -> 63.75 -> 64; 255 -> 191.25 -> 191
    const a = new InputAware({ width: 1, maskDensity: 0.5 }, { generator: floatAsset(constantGenerator(0, 3), [40]) });
    expect(Array.from(a.applyTrigger(oneImage([100, 0, 255, 7], 2, 2)).images)).toEqual([114, 64, 191, 67]);
    // density 1: the whole image is the pattern, sigmoid(ln 3) = 0.75 -> 191.25 -> 191
    const b = new InputAware({ width: 1, maskDensity: 1 }, { generator: floatAsset(constantGenerator(Math.log(3), -2), [40]) });
    expect(Array.from(b.applyTrigger(oneImage([100, 0, 255, 7], 2, 2)).images)).toEqual([191, 191, 191, 191]);
  });

  it('poisons round(rate N) images relabelled and round(crossRatio rate N) others with a trigger, labels kept', () => {
    const set = flatSet(40, 4, 4, 100, 4);
    const a = new InputAware({ width: 1, maskDensity: 0.5, rate: 0.1, target: 0, crossRatio: 2, seed: 3 }, { generator: floatAsset(constantGenerator(0, 0), [40]) });
    const { set: out, indices, cross } = a.poisonWithCross(set);
    expect([indices.length, cross.length]).toEqual([4, 8]);
    for (const i of indices) expect([out.labels[i], out.images[i * 16]]).toEqual([0, 114]);
    for (const i of cross) {
      expect(indices.includes(i)).toBe(false);
      expect([out.labels[i], out.images[i * 16]]).toEqual([set.labels[i], 114]);
    }
    let changed = 0;
    for (let i = 0; i < 40; i++) if (out.images[i * 16] !== 100) changed++;
    expect(changed).toBe(12);
  });

  it('a trained generator makes different triggers for different images; same seed, same weights; no leak', async () => {
    const set = flatSet(40, 6, 6, 0, 2);
    for (let i = 0; i < set.images.length; i++) set.images[i] = (i * 41 + (i % 7) * 13) % 256;
    const a = inputAware({ width: 2, steps: 4, seed: 2 });
    a.prepare(set);
    const out = a.applyTrigger(set);
    const residual = (i: number) => Array.from({ length: 36 }, (_, j) => (out.images[i * 36 + j] as number) - (set.images[i * 36 + j] as number));
    expect(residual(0)).not.toEqual(residual(1));
    const again = inputAware({ width: 2, steps: 4, seed: 2 });
    again.prepare(set);
    expect(again.assets(6, 6, 1).generator?.bytes).toEqual(a.assets(6, 6, 1).generator?.bytes);
    expect(createAttack(JSON.parse(JSON.stringify(a.config())) as { name: string }, a.assets(6, 6, 1)).applyTrigger(set).images).toEqual(out.images);
    await expectNoLeak(() => a.prepare(set));
    await expectNoLeak(() => a.poison(set));
    expect(() => inputAware().applyTrigger(set)).toThrow(/input-aware has no generator yet/);
    expect(() => inputAware({ maskDensity: 0 })).toThrow(ConfigError);
  });
});
