import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../src/data/image_set';
import { toTensors } from '../../src/data/tensors';
import { purify } from '../../src/defenses/tsbd';
import { resolvePurifyOptions } from '../../src/defenses/tsbd_options';
import { INVERSION_DEFAULTS, invertClass, invertEveryClass, stampInverted, withInvertedTrigger } from '../../src/defenses/trigger_inversion';
import { ConfigError, DataShapeError } from '../../src/errors';
import { TsbdEmitter } from '../../src/events';
import { onePixelModel, onePixelSet } from '../helpers/one_pixel';
import { toySet } from './toy';

const unit = { min: 0, max: 1 };

describe('trigger inversion on the clean set', () => {
  it('stampInverted: pixel = (1 - mask) * pixel + mask * 255 * pattern, rounded; labels kept', () => {
    const set: ImageSet = { images: new Uint8Array([100, 0, 50, 255]), labels: new Uint8Array([1]), count: 1, height: 2, width: 2, channels: 1, numClasses: 2 };
    const out = stampInverted(set, { mask: new Float32Array([0.5, 0, 1, 0]), pattern: new Float32Array([1, 1, 0.2, 0]) });
    // 0.5 * 100 + 0.5 * 255 = 177.5 -> 178; mask 0 keeps 0; 0 * 50 + 1 * 255 * 0.2 = 51; mask 0 keeps 255.
    expect(Array.from(out.images)).toEqual([178, 0, 51, 255]);
    expect(Array.from(out.labels)).toEqual([1]);
    expect(Array.from(set.images)).toEqual([100, 0, 50, 255]);
    const wrongShape = () => stampInverted(set, { mask: new Float32Array(3), pattern: new Float32Array(4) });
    expect(wrongShape).toThrow(DataShapeError);
    expect(wrongShape).toThrow(/another image shape than 2x2x1/);
  });

  it('withInvertedTrigger: the clean set, then share of it stamped, none of the trigger class, under their own labels', () => {
    const clean = toySet(10, 1); // labels 0, 1, 0, 1, ...
    const trigger = { target: 1, maskL1: 1, success: 1, mask: new Float32Array(36).fill(0), pattern: new Float32Array(36).fill(1) };
    trigger.mask[0] = 1;
    const out = withInvertedTrigger(clean, trigger, 0.4, 3);
    expect(out.count).toBe(14); // round(0.4 * 10) = 4 stamped
    expect(Array.from(out.images.subarray(0, 360))).toEqual(Array.from(clean.images));
    expect(Array.from(out.labels.subarray(10))).toEqual([0, 0, 0, 0]);
    const stampedAll = stampInverted(clean, trigger);
    const originals = new Set<number>();
    for (let k = 10; k < 14; k++) {
      const img = Array.from(out.images.subarray(k * 36, (k + 1) * 36));
      expect(img[0]).toBe(255);
      const i = [0, 2, 4, 6, 8].find((j) => Array.from(stampedAll.images.subarray(j * 36, (j + 1) * 36)).join() === img.join());
      expect(i).toBeDefined();
      originals.add(i as number);
    }
    expect(originals.size).toBe(4);
  });

  it('invertClass finds the one pixel that decides the class, at a mask just above what the weights need', () => {
    const model = onePixelModel();
    const clean = onePixelSet(64, 2);
    const class0 = Array.from({ length: 32 }, (_, k) => 2 * k);
    const { x, y } = toTensors(clean, unit, class0);
    y.dispose();
    const before = tf.memory().numTensors;
    const found = invertClass(model, 'probabilities', x, 1, unit, { ...INVERSION_DEFAULTS, batchSize: 32, steps: 200 }, 0);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    expect(found).toBeDefined();
    const t = found as NonNullable<typeof found>;
    expect(t.target).toBe(1);
    expect(t.success).toBeGreaterThanOrEqual(0.95);
    // Success needs 30 * mask * pattern - 10 > 0 at pixel (0, 0), pattern < 1: mask > 1/3 there.
    expect(t.mask[0]).toBeGreaterThan(1 / 3);
    expect(t.maskL1).toBeGreaterThan(1 / 3);
    expect(t.maskL1).toBeLessThan(1);
    expect(t.mask.indexOf(Math.max(...t.mask))).toBe(0);
    model.dispose();
  });

  it('invertEveryClass: class 1 (mask > 1/3) is smaller than class 0 (mask > 2/3), one L1 per class, no tensor left', () => {
    const model = onePixelModel();
    const clean = onePixelSet(64, 3);
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const { maskL1, smallest } = invertEveryClass(model, 'probabilities', clean, unit, { ...INVERSION_DEFAULTS, batchSize: 32, steps: 200 }, 0, (c) => seen.push(c));
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([0, 1]);
    expect(maskL1).toHaveLength(2);
    // Class 0 from class-1 images (pixel 1): 30 * (1 - mask) - 10 < 0 needs mask > 2/3.
    expect(maskL1[0]).toBeGreaterThan(2 / 3);
    expect(smallest?.target).toBe(1);
    expect(smallest?.maskL1).toBe(maskL1[1]);
    model.dispose();
  });
});

describe('purify with the trigger inversion', () => {
  const hiddenNet = (): tfl.LayersModel =>
    tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [6, 6, 1] }),
        tfl.layers.dense({ units: 5, activation: 'relu', name: 'hidden', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
        tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });

  it("'auto' is on where a hidden Dense layer feeds the output, and then gives no head shift and n = 0 unless set", () => {
    const m = hiddenNet();
    const on = resolvePurifyOptions({}, 2, 100, m);
    expect(on).toMatchObject({ invert: true, headShift: 0, fraction: 0 });
    expect(on.finetune.epochs).toBe(20);
    expect(resolvePurifyOptions({ invert: false }, 2, 100, m)).toMatchObject({ invert: false, headShift: 3, fraction: 'auto' });
    expect(resolvePurifyOptions({ headShift: 2, fraction: 0.3 }, 2, 100, m)).toMatchObject({ invert: true, headShift: 2, fraction: 0.3 });
    const conv = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })] });
    expect(resolvePurifyOptions({}, 2, 100, conv)).toMatchObject({ invert: false, headShift: 0, fraction: 'auto' });
    expect(resolvePurifyOptions({ invert: true }, 2, 100, conv)).toMatchObject({ invert: true, fraction: 0 });
    expect(() => resolvePurifyOptions({ invert: 'yes' as unknown as boolean }, 2, 100)).toThrow(/invert must be true, false or 'auto'/);
    expect(() => resolvePurifyOptions({ inversion: { share: 0 } }, 2, 100)).toThrow(ConfigError);
    expect(() => resolvePurifyOptions({ inversion: { steps: 2.5 } }, 2, 100)).toThrow(/inversion.steps/);
    m.dispose();
    conv.dispose();
  });

  it('a layer selection that scores nothing is refused before the inversion starts', async () => {
    const model = hiddenNet();
    const events = new TsbdEmitter();
    const phases: string[] = [];
    events.on('phaseStart', (p) => phases.push(p));
    await expect(purify(model, toySet(16, 1), { layers: 'conv', events })).rejects.toThrow(/has no layer to score with selection 'conv'/);
    expect(phases).toEqual([]);
    model.dispose();
  });

  it('runs first, reports each class, and its stamped images join the fine-tuning; no tensor left', async () => {
    const model = hiddenNet();
    const clean = toySet(32, 6);
    const events = new TsbdEmitter();
    const phases: string[] = [];
    const classes: number[] = [];
    events.on('phaseStart', (p) => phases.push(p));
    events.on('classInverted', (c) => classes.push(c));
    const opts = { unlearn: { maxEpochs: 2, batchSize: 16 }, finetune: { epochs: 2, batchSize: 16 }, extrapolate: { epochs: 1 }, inversion: { steps: 30, batchSize: 16 }, events };
    const warm = await purify(model, clean, opts);
    warm.model.dispose();
    phases.length = 0;
    classes.length = 0;
    const before = tf.memory().numTensors;
    const { model: out, report } = await purify(model, clean, opts);
    expect(phases[0]).toBe('invert');
    expect(phases).not.toContain('warmup');
    expect(classes).toEqual([0, 1]);
    expect(report.inversion?.maskL1).toHaveLength(2);
    expect([0, 1]).toContain(report.inversion?.target);
    // round(0.2 * 32) = 6 of the 16 images of the other class.
    expect(report.inversion?.stamped).toBe(6);
    expect(report.headShift).toBeNull();
    expect(report).toMatchObject({ fraction: 0, fractionSource: 'auto', neurons: 0 });
    expect(report.seconds.invert).toBeGreaterThan(0);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const off = await purify(model, clean, { ...opts, invert: false });
    expect(off.report.inversion).toBeNull();
    expect(off.report.seconds.invert).toBe(0);
    off.model.dispose();
    model.dispose();
  });
});
