import { assetFloats, floatAsset } from '../../src/attacks/asset_store';
import { bicubicUpsample, WaNet, waNet } from '../../src/attacks/wanet';
import { createAttack } from '../../src/attacks/registry';
import { expectNoLeak } from '../helpers/leak';
import { flatSet, oneImage } from './fixtures';

describe('WaNet (Nguyen & Tran 2021)', () => {
  it('bicubic upsampling (a = -0.75, aligned corners): hand-computed values', () => {
    // 3x3 control grid with every row [0, 1, 4], upsampled to 5x5. Column 1 sits at 0.5: taps 0, 0, 1, 2 with
    // weights w(1.5), w(0.5), w(-0.5), w(-1.5) = -0.09375, 0.59375, 0.59375, -0.09375 -> 0.59375 - 4 * 0.09375 = 0.21875.
    // Column 2 sits on knot 1 (value 1); column 3 at 1.5: taps 0, 1, 2, 2 -> -0.09375*0 + 0.59375*1 + 0.59375*4 - 0.09375*4 = 2.59375
    const up = bicubicUpsample([0, 1, 4, 0, 1, 4, 0, 1, 4], 3, 5, 5);
    for (let r = 0; r < 5; r++) {
      const row = Array.from(up.subarray(r * 5, r * 5 + 5));
      [0, 0.21875, 1, 2.59375, 4].forEach((v, i) => expect(row[i]).toBeCloseTo(v, 10));
    }
  });

  it('stamps by resampling along its grid: golden pixels from a hand-made grid', () => {
    // 2x3 image; the identity grid except pixel (0, 1), sent to x = 0.5 (column 1.5): (10 + 20) / 2 = 15;
    // and pixel (1, 0), sent to (x, y) = (-0.5, 0) (column 0.5, row 0.5): (0 + 10 + 30 + 40) / 4 = 20
    const grid = Float32Array.from([-1, -1, 0.5, -1, 1, -1, -0.5, 0, 0, 1, 1, 1]);
    const a = new WaNet({}, { grid: floatAsset(grid, [2, 3, 2]) });
    expect(Array.from(a.applyTrigger(oneImage([0, 10, 20, 30, 40, 50], 2, 3)).images)).toEqual([0, 15, 20, 20, 40, 50]);
  });

  it('its generated grid stays in [-1, 1] and moves pixels by at most s * peak|field| / h in normalised units', () => {
    const a = waNet({ seed: 3 });
    const g = a.assets(28, 28, 1).grid;
    expect(g?.shape).toEqual([28, 28, 2]);
    const values = assetFloats(g as NonNullable<typeof g>);
    let far = 0;
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const x = values[(r * 28 + c) * 2] as number;
        const y = values[(r * 28 + c) * 2 + 1] as number;
        expect(Math.abs(x)).toBeLessThanOrEqual(1);
        expect(Math.abs(y)).toBeLessThanOrEqual(1);
        far = Math.max(far, Math.abs(x - (-1 + (2 * c) / 27)), Math.abs(y - (-1 + (2 * r) / 27)));
      }
    }
    // field values are uniform[-1, 1] / mean|.| (mean ~0.5, so up to ~2; bicubic overshoot adds a little): far < 0.5 * 3 / 28
    expect(far).toBeGreaterThan(0);
    expect(far).toBeLessThan((0.5 * 3) / 28);
    expect(waNet({ seed: 3 }).assets(28, 28, 1).grid?.bytes).toEqual(g?.bytes);
    expect(waNet({ seed: 4 }).assets(28, 28, 1).grid?.bytes).not.toEqual(g?.bytes);
  });

  it('poisons round(rate N) images relabelled and round(2 rate N) noise-mode images with labels kept, disjoint', () => {
    const set = flatSet(50, 6, 6, 0);
    for (let i = 0; i < set.images.length; i++) set.images[i] = (i * 37) % 256; // texture, so that warps show
    const a = waNet({ rate: 0.1, target: 0, seed: 1 });
    const { set: out, indices, cross } = a.poisonWithCross(set);
    expect(indices.length).toBe(5);
    expect(cross.length).toBe(10);
    for (const i of cross) {
      expect(indices.includes(i)).toBe(false);
      expect(out.labels[i]).toBe(set.labels[i]);
    }
    for (const i of indices) expect(out.labels[i]).toBe(0);
    const same = (i: number) => Buffer.compare(Buffer.from(out.images.subarray(i * 36, i * 36 + 36)), Buffer.from(set.images.subarray(i * 36, i * 36 + 36))) === 0;
    for (let i = 0; i < 50; i++) if (!indices.includes(i) && !cross.includes(i)) expect(same(i)).toBe(true);
    expect(waNet({ rate: 0.1, target: 0, seed: 1 }).poison(set).set.images).toEqual(out.images);
    expect(a.poison(set).indices).toEqual(indices);
  });

  it('poisons each training batch afresh, as the reference: floor(rate b) warped and relabelled, then floor(2 rate b) noise-mode', async () => {
    const batch = flatSet(64, 6, 6, 0, 4);
    for (let i = 0; i < batch.images.length; i++) batch.images[i] = (i * 37) % 256;
    const before = batch.images.slice();
    const a = waNet({ rate: 0.1, target: 0, seed: 1 });
    const poisonBatch = a.batchPoisoner();
    const first = poisonBatch(batch);
    const second = poisonBatch(batch);
    const img = (s: { images: Uint8Array }, i: number) => Array.from(s.images.subarray(i * 36, i * 36 + 36));
    const warped = a.applyTrigger(batch);
    // floor(0.1 * 64) = 6 warped with the fixed grid and sent to the target; labels of 6 .. 63 kept
    for (let i = 0; i < 6; i++) {
      expect(img(first, i)).toEqual(img(warped, i));
      expect(first.labels[i]).toBe(0);
    }
    for (let i = 6; i < 64; i++) expect(first.labels[i]).toBe(batch.labels[i]);
    // floor(2 * 6) = 12 noise-mode images: warped along grid + fresh noise, so neither clean nor the plain warp,
    // and drawn anew on the next batch; the other 46 untouched
    for (let i = 6; i < 18; i++) {
      expect(img(first, i)).not.toEqual(img(batch, i));
      expect(img(first, i)).not.toEqual(img(warped, i));
      expect(img(second, i)).not.toEqual(img(first, i));
    }
    for (let i = 18; i < 64; i++) expect(img(first, i)).toEqual(img(batch, i));
    expect(img(second, 0)).toEqual(img(first, 0));
    expect(batch.images).toEqual(before);
    // the same config replays the same batches
    const again = waNet({ rate: 0.1, target: 0, seed: 1 }).batchPoisoner();
    expect(again(batch).images).toEqual(first.images);
    expect(again(batch).images).toEqual(second.images);
    await expectNoLeak(() => poisonBatch(batch));
  });

  it('below one poisoned image per batch, poisons one with probability rate b (BackdoorBench), with its 2 noise-mode images', () => {
    const batch = flatSet(5, 6, 6, 0, 4, 1);
    for (let i = 0; i < batch.images.length; i++) batch.images[i] = (i * 37) % 256;
    const poisonBatch = waNet({ rate: 0.1, target: 3, seed: 2 }).batchPoisoner();
    let withOne = 0;
    for (let t = 0; t < 100; t++) {
      const out = poisonBatch(batch);
      const changed = Array.from({ length: 5 }, (_, i) => Buffer.compare(Buffer.from(out.images.subarray(i * 36, i * 36 + 36)), Buffer.from(batch.images.subarray(i * 36, i * 36 + 36))) !== 0);
      const relabelled = out.labels[0] === 3 && batch.labels[0] !== 3;
      if (relabelled) {
        withOne++;
        expect(changed).toEqual([true, true, true, false, false]);
      } else {
        expect(changed).toEqual([false, false, false, false, false]);
      }
    }
    // rate * b = 0.5: binomial(100, 0.5) has mean 50 and standard deviation 5
    expect(withOne).toBeGreaterThan(35);
    expect(withOne).toBeLessThan(65);
  });

  it('re-created from its config and grid it stamps the same bytes, and no tensor is left behind', async () => {
    const a = waNet({ seed: 7 });
    const set = flatSet(3, 8, 8, 0);
    for (let i = 0; i < set.images.length; i++) set.images[i] = (i * 53) % 256;
    const b = createAttack(JSON.parse(JSON.stringify(a.config())) as { name: string }, a.assets(8, 8, 1));
    expect(b.applyTrigger(set).images).toEqual(a.applyTrigger(set).images);
    await expectNoLeak(() => a.poison(flatSet(20, 8, 8, 9)));
    expect(a.config()).toEqual({ name: 'wanet', k: 4, s: 0.5, crossRatio: 2, target: 0, rate: 0.1, seed: 7, mode: 'all-to-one' });
  });
});
