import { badNets } from '../../src/attacks/badnets';
import { choosePoisoned, poisonDefaults, poisonLabel, toPixel } from '../../src/attacks/poisoning';
import { ConfigError, DataShapeError } from '../../src/errors';
import { flatSet } from './fixtures';

describe('poisoning shared by every attack', () => {
  it('all-to-all sends y to (y + 1) mod C; all-to-one sends every class to the target', () => {
    expect([0, 1, 2, 3].map((y) => poisonLabel('all-to-all', 0, y, 4))).toEqual([1, 2, 3, 0]);
    expect([0, 1, 2, 3].map((y) => poisonLabel('all-to-one', 2, y, 4))).toEqual([2, 2, 2, 2]);
  });

  it('dirty-label all-to-one picks round(rate N) non-target images; all-to-all may pick any class', () => {
    const set = flatSet(20, 2, 2, 0); // labels 0,1,2,3 repeating: 5 of each
    const oneIdx = choosePoisoned(set, poisonDefaults({ rate: 0.25, target: 1, seed: 3 }), false);
    expect(oneIdx.length).toBe(5);
    for (const i of oneIdx) expect(i % 4).not.toBe(1);
    expect(Array.from(oneIdx)).toEqual(Array.from(oneIdx).sort((a, b) => a - b));
    // 0.8 of 20 = 16 > the 15 non-target images: refused, naming the counts
    expect(() => choosePoisoned(set, poisonDefaults({ rate: 0.8, target: 1 }), false)).toThrow(/cannot poison 16 images: only 15 are not of the target class 1/);
    // all-to-all: every image is a candidate, so 0.8 of 20 = 16 works
    expect(choosePoisoned(set, poisonDefaults({ rate: 0.8, mode: 'all-to-all' }), false).length).toBe(16);
  });

  it('clean-label picks target-class images only, all of them when the class holds fewer than round(rate N)', () => {
    const set = flatSet(20, 2, 2, 0);
    const some = choosePoisoned(set, poisonDefaults({ rate: 0.1, target: 2, seed: 1 }), true);
    expect(some.length).toBe(2);
    for (const i of some) expect(i % 4).toBe(2);
    expect(Array.from(choosePoisoned(set, poisonDefaults({ rate: 0.5, target: 2 }), true))).toEqual([2, 6, 10, 14, 18]);
  });

  it('a BadNets all-to-all poisoning relabels each chosen image to the next class, and evaluation-side labels agree', () => {
    const set = flatSet(12, 3, 3, 0, 3);
    const a = badNets({ patchSize: 1, rate: 0.5, mode: 'all-to-all', seed: 2 });
    const { set: p, indices } = a.poison(set);
    expect(indices.length).toBe(6);
    for (const i of indices) {
      expect(p.labels[i]).toBe(((set.labels[i] as number) + 1) % 3);
      expect(p.images[i * 9 + 8]).toBe(255);
    }
    expect(a.config().mode).toBe('all-to-all');
  });

  it('pixels are rounded and clamped to 0..255, never wrapped', () => {
    expect([-3, 0.49, 0.5, 254.5, 256, 300].map(toPixel)).toEqual([0, 0, 1, 255, 255, 255]);
  });

  it('refuses bad common options', () => {
    expect(() => poisonDefaults({ mode: 'some-to-one' as 'all-to-one' })).toThrow(/mode must be all-to-one or all-to-all; received "some-to-one"/);
    expect(() => poisonDefaults({ target: 1.5 })).toThrow(ConfigError);
    expect(() => choosePoisoned(flatSet(4, 2, 2, 0), poisonDefaults({ target: 4 }), false)).toThrow(/target 4 is not a class of this data \(0..3\)/);
    expect(() => badNets({ patchSize: 1, rate: 1 }).poison(flatSet(4, 2, 2, 0))).toThrow(DataShapeError);
  });
});
