import { sig } from '../../src/attacks/sig';
import { ConfigError } from '../../src/errors';
import { flatSet, oneImage } from './fixtures';

describe('SIG (Barni et al. 2019)', () => {
  it('adds delta sin(2 pi c f / w) along the columns, the same on every row; clamped, never wrapped', () => {
    // w = 4, f = 1, delta = 40: the wave is [0, 40, 0, -40]
    const a = sig({ delta: 40, frequency: 1 });
    expect(Array.from(a.applyTrigger(oneImage([100, 100, 100, 100, 10, 250, 3, 30], 2, 4)).images)).toEqual([100, 140, 100, 60, 10, 255, 3, 0]);
  });

  it('BackdoorBench defaults on a 28-wide image: golden columns 0, 1, 3, 7 on two rows', () => {
    const out = sig().applyTrigger(flatSet(1, 28, 28, 100)).images;
    // column c: 40 sin(2 pi 6 c / 28) = 40 sin(3 pi c / 7). c = 1: 40 * 0.97493 = 38.997 -> 139;
    // c = 3: 40 sin(9 pi / 7) = -40 * 0.78183 = -31.273 -> 68.73 -> 69; c = 7: sin(3 pi) = 0 -> 100
    expect([out[0], out[1], out[3], out[7], out[28 + 3]]).toEqual([100, 139, 69, 100, 69]);
  });

  it('stamps every channel of a column alike', () => {
    const out = sig({ delta: 40, frequency: 1 }).applyTrigger(oneImage(new Array(12).fill(100), 1, 4, 3)).images;
    expect(Array.from(out)).toEqual([100, 100, 100, 140, 140, 140, 100, 100, 100, 60, 60, 60]);
  });

  it('is clean-label: stamps only target-class images, a fraction of the class by default, and keeps every label', () => {
    const set = flatSet(40, 4, 4, 100); // 10 images of each of 4 classes
    const { set: out, indices } = sig({ rate: 0.2, target: 2, seed: 4, frequency: 1 }).poison(set);
    // Barni et al.: rate 0.2 of the target class's 10 images = 2
    expect(indices.length).toBe(2);
    for (const i of indices) expect(set.labels[i]).toBe(2);
    expect(out.labels).toEqual(set.labels);
    for (let i = 0; i < 40; i++) expect(out.images[i * 16 + 1] !== 100).toBe(indices.includes(i));
    expect(sig({ rate: 0.5, target: 2 }).poison(set).indices.length).toBe(5);
    expect(sig({ rate: 1, target: 2 }).poison(set).indices.length).toBe(10);
    expect(sig({ rate: 0.2, target: 2, seed: 4, frequency: 1 }).poison(set).set.images).toEqual(out.images);
  });

  it("rateOf 'training-set' (BackdoorBench): round(rate N) target-class images, capped at the class size", () => {
    const set = flatSet(40, 4, 4, 100);
    const { set: out, indices } = sig({ rate: 0.2, target: 2, seed: 4, rateOf: 'training-set' }).poison(set);
    expect(indices.length).toBe(8); // 0.2 * 40
    for (const i of indices) expect(set.labels[i]).toBe(2);
    expect(out.labels).toEqual(set.labels);
    expect(sig({ rate: 0.5, target: 2, rateOf: 'training-set' }).poison(set).indices.length).toBe(10); // 20 > 10 in the class
  });

  it('refuses all-to-all, bad amplitudes and an unknown rateOf', () => {
    expect(() => sig({ mode: 'all-to-all' })).toThrow(/sig is a clean-label attack/);
    expect(() => sig({ delta: 0 })).toThrow(ConfigError);
    expect(() => sig({ rateOf: 'class' as 'target-class' })).toThrow(/rateOf must be 'target-class' or 'training-set'; received "class"/);
    expect(sig().config()).toEqual({ name: 'sig', delta: 40, frequency: 6, rateOf: 'target-class', target: 0, rate: 0.1, seed: 0, mode: 'all-to-one' });
  });
});
