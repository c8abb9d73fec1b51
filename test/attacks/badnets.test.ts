import type { ImageSet } from '../../src/data/image_set';
import { badNets } from '../../src/attacks/badnets';
import { createAttack, listAttacks } from '../../src/attacks/registry';
import { ConfigError, DataShapeError } from '../../src/errors';

const blank = (count: number, numClasses = 4): ImageSet => ({
  images: new Uint8Array(count * 25),
  labels: Uint8Array.from({ length: count }, (_, i) => i % numClasses),
  count,
  height: 5,
  width: 5,
  channels: 1,
  numClasses,
});

/** Coordinates (row, col) of the non-zero pixels of image 0. */
function lit(set: ImageSet): string[] {
  const out: string[] = [];
  for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) if (set.images[r * 5 + c] === 255) out.push(`${r}${c}`);
  return out;
}

describe('BadNets (Gu et al. 2017)', () => {
  it('stamps a white square in the chosen corner', () => {
    expect(lit(badNets({ patchSize: 2 }).applyTrigger(blank(1)))).toEqual(['33', '34', '43', '44']);
    expect(lit(badNets({ patchSize: 2, position: 'tl' }).applyTrigger(blank(1)))).toEqual(['00', '01', '10', '11']);
    expect(lit(badNets({ patchSize: 2, position: 'tr' }).applyTrigger(blank(1)))).toEqual(['03', '04', '13', '14']);
    expect(lit(badNets({ patchSize: 2, position: 'bl' }).applyTrigger(blank(1)))).toEqual(['30', '31', '40', '41']);
  });

  it('a checker patch is 255 where row + col (from the patch corner) is even, 0 elsewhere', () => {
    const img = blank(1);
    img.images.fill(100);
    const out = badNets({ patchSize: 3, position: 'br', pattern: 'checker' }).applyTrigger(img);
    const patch = [2, 3, 4].map((r) => [2, 3, 4].map((c) => out.images[r * 5 + c]));
    expect(patch).toEqual([
      [255, 0, 255],
      [0, 255, 0],
      [255, 0, 255],
    ]);
    expect(out.images[0]).toBe(100);
    expect(img.images[24]).toBe(100); // input untouched
  });

  it('the checker starts at the patch corner in every position, and stamps all channels', () => {
    expect(lit(badNets({ patchSize: 2, position: 'tl', pattern: 'checker' }).applyTrigger(blank(1)))).toEqual(['00', '11']);
    expect(lit(badNets({ patchSize: 2, position: 'tr', pattern: 'checker' }).applyTrigger(blank(1)))).toEqual(['03', '14']);
    expect(lit(badNets({ patchSize: 2, position: 'bl', pattern: 'checker' }).applyTrigger(blank(1)))).toEqual(['30', '41']);
    expect(lit(badNets({ patchSize: 2, position: 'br', pattern: 'checker' }).applyTrigger(blank(1)))).toEqual(['33', '44']);
    // 2x2 RGB image, 1-pixel white patch bottom-right: pixel (1,1) = bytes 9..11
    const rgb: ImageSet = { images: new Uint8Array(12).fill(7), labels: Uint8Array.from([1]), count: 1, height: 2, width: 2, channels: 3, numClasses: 2 };
    expect(Array.from(badNets({ patchSize: 1 }).applyTrigger(rgb).images)).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 7, 255, 255, 255]);
    // every image is stamped; labels kept
    const three = badNets({ patchSize: 1 }).applyTrigger(blank(3));
    expect([three.images[24], three.images[49], three.images[74]]).toEqual([255, 255, 255]);
    expect(Array.from(three.labels)).toEqual([0, 1, 2]);
  });

  it('stamps a patch anywhere given the row and column of its top-left pixel', () => {
    expect(lit(badNets({ patchSize: 2, position: { row: 1, col: 2 } }).applyTrigger(blank(1)))).toEqual(['12', '13', '22', '23']);
    expect(lit(badNets({ patchSize: 1, position: { row: 4, col: 0 } }).applyTrigger(blank(1)))).toEqual(['40']);
    // the JSON form round-trips through the registry to the same stamp
    const a = badNets({ patchSize: 2, position: { row: 2, col: 1 }, pattern: 'checker' });
    const b = createAttack(JSON.parse(JSON.stringify(a.config())) as { name: string });
    expect(lit(b.applyTrigger(blank(1)))).toEqual(['21', '32']);
  });

  it('refuses a patch that does not fit, naming where it is', () => {
    expect(() => badNets({ patchSize: 2, position: { row: 4, col: 0 } }).applyTrigger(blank(1))).toThrow(
      /2x2 patch at row 4, column 0 does not fit in the 5x5 images/,
    );
    expect(() => badNets({ position: { row: -1, col: 0 } })).toThrow(ConfigError);
  });

  it("a 'random' patch is a fixed 0/255 pattern: the same for a seed, on every image and channel, another for another seed", () => {
    const stamped = (patternSeed: number): number[] => {
      const out = badNets({ patchSize: 4, position: 'tl', pattern: 'random', patternSeed }).applyTrigger(blank(2));
      const rows = [0, 1, 2, 3].flatMap((r) => [0, 1, 2, 3].map((c) => r * 5 + c));
      const first = rows.map((i) => out.images[i] as number);
      expect(rows.map((i) => out.images[25 + i])).toEqual(first); // image 1 has the same patch
      return first;
    };
    const a = stamped(3);
    expect(stamped(3)).toEqual(a);
    expect(a.every((v) => v === 0 || v === 255)).toBe(true);
    expect(new Set(a).size).toBe(2); // 16 coin flips: both values appear (P[all equal] = 2^-15)
    expect(stamped(4)).not.toEqual(a);
  });

  it('poisons round(rate * N): 0.1 of 25 is 3, 0 of 25 is none', () => {
    const set = blank(25, 5);
    const { set: p, indices } = badNets({ rate: 0.1, target: 2 }).poison(set);
    expect(indices.length).toBe(3);
    expect(Array.from(indices)).toEqual(Array.from(indices).sort((x, y) => x - y));
    let relabelled = 0;
    for (let i = 0; i < 25; i++) if (p.labels[i] !== set.labels[i]) relabelled++;
    expect(relabelled).toBe(3);
    expect(badNets({ rate: 0 }).poison(set).indices.length).toBe(0);
  });

  it('poisons exactly round(rate * N) non-target images, relabelled to the target, reproducibly', () => {
    const set = blank(20);
    const attack = badNets({ rate: 0.25, target: 0, seed: 3 });
    const { set: poisoned, indices } = attack.poison(set);
    expect(indices.length).toBe(5);
    for (const i of indices) {
      expect(set.labels[i]).not.toBe(0);
      expect(poisoned.labels[i]).toBe(0);
      expect(poisoned.images[i * 25 + 24]).toBe(255);
    }
    const untouched = Array.from({ length: 20 }, (_, i) => i).filter((i) => !indices.includes(i));
    for (const i of untouched) expect(poisoned.labels[i]).toBe(set.labels[i]);
    expect(Array.from(set.images).every((v) => v === 0)).toBe(true);
    expect(badNets({ rate: 0.25, target: 0, seed: 3 }).poison(set).set.images).toEqual(poisoned.images);
    expect(Array.from(badNets({ rate: 0.25, target: 0, seed: 4 }).poison(set).indices)).not.toEqual(Array.from(indices));
  });

  it('round-trips through its config and rejects bad options', () => {
    const a = badNets({ patchSize: 2, position: 'tl', pattern: 'checker', target: 3, rate: 0.05, seed: 9 });
    expect(createAttack(a.config()).config()).toEqual(a.config());
    expect(listAttacks()).toEqual(['badnets', 'blended', 'sig', 'wanet', 'lf', 'trojan', 'input-aware', 'ssba']);
    expect(() => createAttack({ name: 'hidden' })).toThrow(/unknown attack 'hidden'; known: badnets, blended, sig, wanet, lf, trojan, input-aware, ssba$/);
    expect(() => badNets({ rate: 1.5 })).toThrow(/rate must be a number in \[0, 1\]; received 1.5/);
    expect(() => badNets({ patchSize: 6 }).applyTrigger(blank(1))).toThrow(/patchSize 6 is larger than the 5x5 images/);
    expect(() => badNets({ target: 4 }).applyTrigger(blank(1))).toThrow(ConfigError);
    expect(() => badNets({ rate: 1 }).poison(blank(4))).toThrow(DataShapeError);
    expect(() => badNets({ rate: -0.1 })).toThrow(ConfigError);
    expect(() => createAttack({ name: 'badnets', rate: 2 })).toThrow(/rate must be a number in \[0, 1\]; received 2/);
    expect(() => createAttack({ name: 'badnets', position: 'middle' })).toThrow(/position must be br, bl, tr, tl or \{row, col\}; received "middle"/);
    expect(badNets().config()).toEqual({ name: 'badnets', patchSize: 3, position: 'br', pattern: 'white', patternSeed: 0, target: 0, rate: 0.1, seed: 0, mode: 'all-to-one' });
  });
});

describe('poisoning data read from IDX files', () => {
  it('leaves the loaded set untouched (IDX data is a plain Uint8Array, not a Node Buffer view)', () => {
    // Regression: Buffer.prototype.slice returns a view, so poison() once wrote into the loaded training set.
    const { loadFashionMnist } = jest.requireActual<typeof import('../../src/data/fashion_mnist')>('../../src/data/fashion_mnist');
    const { train } = loadFashionMnist('subset');
    expect(Object.getPrototypeOf(train.images)).toBe(Uint8Array.prototype);
    const images = Uint8Array.from(train.images);
    const labels = Uint8Array.from(train.labels);
    badNets({ rate: 0.1, target: 0 }).poison(train);
    expect(Buffer.compare(Buffer.from(train.images), Buffer.from(images))).toBe(0);
    expect(Buffer.compare(Buffer.from(train.labels), Buffer.from(labels))).toBe(0);
  });
});
