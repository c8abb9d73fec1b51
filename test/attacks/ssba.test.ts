import { floatAsset } from '../../src/attacks/asset_store';
import { createAttack } from '../../src/attacks/registry';
import { Ssba, ssba } from '../../src/attacks/ssba';
import { ConfigError } from '../../src/errors';
import { expectNoLeak } from '../helpers/leak';
import { flatSet, oneImage } from './fixtures';

/** Encoder weights for width 1 on grey images (3 convolutions of 9 + 1 values), all 0 but the last bias. */
function constantEncoder(lastBias: number): Float32Array {
  const w = new Float32Array(30);
  w[29] = lastBias;
  return w;
}

describe('SSBA-style (after Li et al. 2021)', () => {
  it('adds epsilon * tanh(encoder output): golden pixels from a hand-made encoder', () => {
    // every kernel 0, last bias atanh(0.5): the residual is 16 * 0.5 = 8 on every pixel
    const a = new Ssba({ width: 1, epsilon: 16 }, { encoder: floatAsset(constantEncoder(Math.atanh(0.5)), [30]) });
    expect(Array.from(a.applyTrigger(oneImage([100, 0, 250, 7], 2, 2)).images)).toEqual([108, 8, 255, 15]);
    // -atanh(0.25) -> -4
    const b = new Ssba({ width: 1, epsilon: 16 }, { encoder: floatAsset(constantEncoder(-Math.atanh(0.25)), [30]) });
    expect(Array.from(b.applyTrigger(oneImage([100, 0, 250, 7], 2, 2)).images)).toEqual([96, 0, 246, 3]);
  });

  it('a trained encoder makes a residual of at most epsilon that differs from image to image; same seed, same weights', () => {
    const set = flatSet(40, 6, 6, 0, 2);
    for (let i = 0; i < set.images.length; i++) set.images[i] = (i * 41 + (i % 7) * 13) % 256;
    const a = ssba({ epsilon: 10, width: 4, steps: 20, seed: 3 });
    a.prepare(set);
    const out = a.applyTrigger(set);
    let largest = 0;
    for (let j = 0; j < out.images.length; j++) largest = Math.max(largest, Math.abs((out.images[j] as number) - (set.images[j] as number)));
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(10);
    const residual = (i: number) => Array.from({ length: 36 }, (_, j) => (out.images[i * 36 + j] as number) - (set.images[i * 36 + j] as number));
    expect(residual(0)).not.toEqual(residual(1));
    const again = ssba({ epsilon: 10, width: 4, steps: 20, seed: 3 });
    again.prepare(set);
    expect(again.assets(6, 6, 1).encoder?.bytes).toEqual(a.assets(6, 6, 1).encoder?.bytes);
    const back = createAttack(JSON.parse(JSON.stringify(a.config())) as { name: string }, a.assets(6, 6, 1));
    expect(back.applyTrigger(set).images).toEqual(out.images);
  });

  it('frees every tensor, refuses to stamp untrained or with a wrong-size encoder', async () => {
    const set = flatSet(40, 4, 4, 90, 2);
    const a = ssba({ width: 2, steps: 3 });
    await expectNoLeak(() => a.prepare(set));
    await expectNoLeak(() => a.poison(set));
    expect(() => ssba().applyTrigger(set)).toThrow(/ssba has no encoder yet/);
    expect(() => new Ssba({ width: 2 }, { encoder: floatAsset(constantEncoder(0), [30]) }).applyTrigger(set)).toThrow(/holds 30 values; width 2 on 1-channel images needs/);
    expect(() => ssba({ epsilon: 0 })).toThrow(ConfigError);
    expect(() => ssba().prepare(flatSet(5, 4, 4, 0))).toThrow(/batches of 32 clean images; received 5/);
  });
});
