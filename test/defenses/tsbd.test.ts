import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../src/data/image_set';
import { purify } from '../../src/defenses/tsbd';
import type { FinetuneSchedule } from '../../src/defenses/tsbd_options';
import { ConfigError, DataShapeError, ModelError } from '../../src/errors';
import { TsbdEmitter } from '../../src/events';
import { toyModel, toySet } from './toy';

const quick = {
  fraction: 0.25,
  unlearn: { maxEpochs: 3, batchSize: 16 },
  finetune: { epochs: 2, batchSize: 16 },
  extrapolate: { epochs: 1 },
} as const;
const quickBase = quick;

function weightsOf(m: tfl.LayersModel): number[][] {
  return m.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('purify', () => {
  it('leaves tf.memory().numTensors unchanged once its result is disposed', async () => {
    const model = toyModel();
    const clean = toySet(32, 1);
    const run = async (): Promise<void> => {
      const { model: out } = await purify(model, clean, quick);
      out.dispose();
    };
    await run();
    const before = tf.memory().numTensors;
    await run();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('never mutates the input model, and reports what it zeroed', async () => {
    const model = toyModel();
    const original = weightsOf(model);
    const { model: out, report } = await purify(model, toySet(32, 2), quick);
    expect(weightsOf(model)).toEqual(original);
    expect(out).not.toBe(model);
    // 4 conv neurons ranked; n = 0.25 selects floor(0.25*4) = 1 neuron with 3*3*1 = 9 weights; m = 0.7 -> floor(6.3) = 6.
    expect(report.totalNeurons).toBe(4);
    expect(report.neurons).toBe(1);
    expect(report.weights).toBe(6);
    expect(report.fraction).toBe(0.25);
    expect(report.fractionSource).toBe('given');
    expect(report.probes).toEqual([]);
    expect(report.controlAccs).toEqual([]);
    expect(report.cleanAcc.finetuneEpochs).toHaveLength(2);
    expect(report.unlearn.epochs).toBeGreaterThanOrEqual(1);
    expect(report.unlearn.epochs).toBeLessThanOrEqual(3);
    for (const s of Object.values(report.seconds)) expect(s).toBeGreaterThanOrEqual(0);
    out.dispose();
    model.dispose();
  });

  it("head shift 'auto', the inversion off: on (weight 3) where a hidden Dense layer feeds the output, off where the convs flatten into it", async () => {
    const quick = { ...quickBase, invert: false } as const;
    const hidden = tfl.sequential();
    hidden.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }));
    hidden.add(tfl.layers.flatten());
    hidden.add(tfl.layers.dense({ units: 5, activation: 'relu', name: 'hidden', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }));
    hidden.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
    const original = weightsOf(hidden);
    const clean = toySet(32, 6);
    const first = await purify(hidden, clean, quick);
    first.model.dispose();
    const before = tf.memory().numTensors;
    const { model: out, report } = await purify(hidden, clean, quick);
    expect(report.headShift).toMatchObject({ head: 'out', weight: 3 });
    // The re-drawn head trained alone for headWarmup (5) epochs first: one clean accuracy per epoch.
    expect(report.headShift?.warmupAccs).toHaveLength(5);
    expect(report.headShift?.cosine).toBeGreaterThanOrEqual(-1);
    expect(report.headShift?.cosine).toBeLessThan(1);
    // The new output kernel keeps the suspect's norm (FST's projection), and the suspect itself is untouched.
    const norm = (m: tfl.LayersModel): number => Math.hypot(...Array.from(m.getLayer('out').getWeights()[0]?.dataSync() ?? []));
    expect(norm(out)).toBeCloseTo(norm(hidden), 3);
    expect(weightsOf(hidden)).toEqual(original);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const plain = toyModel();
    const off = await purify(plain, clean, quick);
    expect(off.report.headShift).toBeNull();
    off.model.dispose();
    const forced = await purify(hidden, clean, { ...quick, headShift: 0 });
    expect(forced.report.headShift).toBeNull();
    expect(forced.report.seconds.warmup).toBe(0);
    forced.model.dispose();
    const cold = await purify(hidden, clean, { ...quick, headWarmup: 0 });
    expect(cold.report.headShift?.warmupAccs).toEqual([]);
    cold.model.dispose();
    // headShiftRows 0.4 of the 5 hidden units: round(2) = 2 rows shifted, the rest of the head trains freely.
    expect(report.headShift?.rows).toBeNull();
    const beforeRows = tf.memory().numTensors;
    const partial = await purify(hidden, clean, { ...quick, headShiftRows: 0.4 });
    expect(partial.report.headShift).toMatchObject({ head: 'out', weight: 3, rows: 2 });
    partial.model.dispose();
    expect(tf.memory().numTensors).toBe(beforeRows);
    expect(weightsOf(hidden)).toEqual(original);
    plain.dispose();
    hidden.dispose();
  });

  it('head release: after stage 3 only the output layer trains on, one clean accuracy per epoch, in its own phase', async () => {
    const quick = { ...quickBase, invert: false } as const;
    const hidden = tfl.sequential();
    hidden.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
    hidden.add(tfl.layers.dense({ units: 6, activation: 'relu', name: 'hidden', kernelInitializer: tfl.initializers.glorotUniform({ seed: 8 }) }));
    hidden.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }));
    const clean = toySet(32, 7);
    const events = new TsbdEmitter();
    const seen: string[] = [];
    events.on('phaseStart', (p) => seen.push(p));
    const held = await purify(hidden, clean, { ...quick, headRelease: 0 });
    expect(held.report.headShift?.releaseAccs).toEqual([]);
    expect(held.report.seconds.release).toBe(0);
    const before = tf.memory().numTensors;
    const released = await purify(hidden, clean, { ...quick, headRelease: 3, events });
    expect(seen).toEqual(['unlearn', 'select', 'reinit', 'warmup', 'finetune', 'extrapolate', 'release']);
    const accs = released.report.headShift?.releaseAccs ?? [];
    expect(accs).toHaveLength(3);
    // No BatchNorm to re-estimate: the result's clean accuracy is the release's last epoch.
    expect(released.report.cleanAcc.after).toBe(accs[2]);
    // Everything before the release is seeded alike, so the two runs differ in the output layer alone.
    const layerWeights = (m: tfl.LayersModel, name: string): number[][] => m.getLayer(name).getWeights().map((w) => Array.from(w.dataSync()));
    expect(layerWeights(released.model, 'hidden')).toEqual(layerWeights(held.model, 'hidden'));
    expect(layerWeights(released.model, 'out')).not.toEqual(layerWeights(held.model, 'out'));
    released.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    held.model.dispose();
    hidden.dispose();
  });

  it('stage 3 moves away from the suspect model and recovers: its phase, one accuracy per epoch, no leak, input untouched', async () => {
    const model = toyModel();
    const original = weightsOf(model);
    const clean = toySet(32, 4);
    const events = new TsbdEmitter();
    const seen: string[] = [];
    events.on('phaseStart', (p) => seen.push(p));
    // A tiny move: nothing to recover from, so the guard keeps it.
    const opts = { ...quick, extrapolate: { factor: 0.001, epochs: 2 }, events };
    const { model: warm } = await purify(model, clean, opts);
    warm.dispose();
    seen.length = 0;
    const before = tf.memory().numTensors;
    const { model: out, report } = await purify(model, clean, opts);
    expect(seen).toEqual(['unlearn', 'select', 'reinit', 'finetune', 'extrapolate']);
    const x = report.extrapolation;
    expect(x?.factor).toBe(0.001);
    expect(x?.epochs).toBe(2);
    expect(x?.cleanAccBefore).toBe(report.cleanAcc.finetuneEpochs[1]); // the toy has no BatchNorm: stage 2's last epoch
    expect(x?.cleanAccEpochs).toHaveLength(2);
    expect(x?.cleanAccAfter).toBeGreaterThanOrEqual((x?.cleanAccBefore ?? 1) - 0.02);
    expect(x?.kept).toBe(true);
    expect(report.cleanAcc.after).toBe(x?.cleanAccAfter);
    expect(report.seconds.extrapolate).toBeGreaterThan(0);
    expect(weightsOf(model)).toEqual(original);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("finetune.schedule 'cosine' (the default) decays from the start; 'hold-cosine' holds lr for the first half, then decays; 'constant' never", async () => {
    const model = toyModel();
    const clean = toySet(32, 7);
    const run = async (epochs: number, schedule?: FinetuneSchedule): Promise<number[][]> => {
      const finetune = { ...quick.finetune, epochs, ...(schedule === undefined ? {} : { schedule }) };
      const { model: out } = await purify(model, clean, { ...quick, finetune, extrapolate: { factor: 0 } });
      const w = weightsOf(out);
      out.dispose();
      return w;
    };
    const constant2 = await run(2, 'constant');
    // One epoch: cos(0) = 1, so the cosine's only epoch is at the full rate.
    expect(await run(1, 'cosine')).toEqual(await run(1, 'constant'));
    // Two epochs, cosine: the second runs at lr * (1 + cos(pi / 2)) / 2 = lr / 2.
    expect(await run(2, 'cosine')).not.toEqual(constant2);
    // Two epochs, hold-cosine: epoch 0 is held at lr, and epoch 1 begins the decay at cos(0), the full rate again.
    expect(await run(2, 'hold-cosine')).toEqual(constant2);
    // Three epochs, hold-cosine: lr, lr, lr / 2; cosine: lr, 0.75 lr, 0.25 lr; constant: lr, lr, lr. All differ.
    const hold3 = await run(3, 'hold-cosine');
    const cosine3 = await run(3, 'cosine');
    expect(await run(3)).toEqual(cosine3);
    expect(hold3).not.toEqual(await run(3, 'constant'));
    expect(hold3).not.toEqual(cosine3);
    await expect(purify(model, clean, { ...quick, finetune: { schedule: 'step' as never } })).rejects.toThrow(
      /finetune.schedule must be 'constant', 'cosine', 'hold-cosine'; received step/,
    );
    model.dispose();
  });

  it('stage 3 puts the stage-2 weights back, with a warning, when the recovery falls short', async () => {
    const model = toyModel();
    const clean = toySet(32, 6);
    // lr 1e-4 cannot recover from a move of 5x the displacement; with factor 0 the same seeds give stage 2's weights.
    const weak = { ...quick, finetune: { ...quick.finetune, lr: 1e-4 } };
    const stage2 = await purify(model, clean, { ...weak, extrapolate: { factor: 0 } });
    const events = new TsbdEmitter();
    const warnings: string[] = [];
    events.on('warning', (m) => warnings.push(m));
    const { model: out, report } = await purify(model, clean, { ...weak, extrapolate: { factor: 5, epochs: 2 }, events });
    const x = report.extrapolation;
    expect(x?.cleanAccEpochs).toHaveLength(2);
    expect(x?.kept).toBe(false);
    expect(x?.cleanAccAfter).toBeLessThan((x?.cleanAccBefore ?? 0) - 0.02);
    expect(warnings).toEqual([expect.stringMatching(/^moving away from the suspect model \(factor 5\) left clean accuracy at .* the fine-tuned weights are kept$/)]);
    expect(weightsOf(out)).toEqual(weightsOf(stage2.model));
    expect(report.cleanAcc.after).toBe(x?.cleanAccBefore);
    out.dispose();
    stage2.model.dispose();
    model.dispose();
  });

  it('skips stage 3 with factor 0, or when stage 2 is skipped; refuses a negative factor', async () => {
    const model = toyModel();
    const clean = toySet(32, 5);
    const off = await purify(model, clean, { ...quick, extrapolate: { factor: 0 } });
    expect(off.report.extrapolation).toBeNull();
    expect(off.report.seconds.extrapolate).toBe(0);
    off.model.dispose();
    const stage1 = await purify(model, clean, { ...quick, finetune: { epochs: 0 } });
    expect(stage1.report.extrapolation).toBeNull();
    stage1.model.dispose();
    await expect(purify(model, clean, { ...quick, extrapolate: { factor: -1 } })).rejects.toThrow(/extrapolate.factor/);
    model.dispose();
  });

  it('emits phases in order, with per-epoch metrics, and chooses n from clean data when asked', async () => {
    const model = toyModel();
    const events = new TsbdEmitter();
    const seen: string[] = [];
    events.on('phaseStart', (p) => seen.push(`start:${p}`));
    events.on('phaseEnd', (p) => seen.push(`end:${p}`));
    const probes: [number, number, number, boolean][] = [];
    events.on('fractionProbe', (...p) => probes.push(p));
    const epochs: string[] = [];
    events.on('epochEnd', (phase, epoch) => epochs.push(`${phase}${epoch}`));
    const { model: out, report } = await purify(model, toySet(40, 3), {
      ...quick,
      fraction: 'auto',
      auto: { candidates: [0.25, 0.5], probeSteps: 1 },
      events,
    });
    expect(seen).toEqual([
      'start:unlearn',
      'end:unlearn',
      'start:select',
      'end:select',
      'start:reinit',
      'end:reinit',
      'start:finetune',
      'end:finetune',
      'start:extrapolate',
      'end:extrapolate',
    ]);
    expect(report.fractionSource).toBe('auto');
    expect(report.controlAccs).toHaveLength(2); // one per split (the default 2)
    // The control first, then each probe in report order: the largest candidate first, none after the first accepted.
    const controlAcc = report.controlAccs.reduce((a, b) => a + b, 0) / report.controlAccs.length;
    expect(probes).toEqual([[0, controlAcc, 0, true], ...report.probes.map((p) => [p.fraction, p.heldOutAcc, p.cost, p.accepted])]);
    expect(report.probes[0]?.fraction).toBe(0.5);
    const verdicts = report.probes.map((p) => p.accepted);
    expect(verdicts.slice(0, -1)).not.toContain(true);
    const accepted = report.probes.find((p) => p.accepted);
    // The first accepted candidate is used; when none is, the smallest.
    expect(report.fraction).toBe(accepted === undefined ? 0.25 : accepted.fraction);
    if (accepted === undefined) expect(report.probes.map((p) => p.fraction)).toEqual([0.5, 0.25]);
    expect(report.neurons).toBe(report.fraction === 0.5 ? 2 : 1); // of the 4 conv neurons
    expect(epochs.filter((e) => e.startsWith('finetune'))).toEqual(['finetune1', 'finetune2']);
    out.dispose();
    model.dispose();
  });

  it('with finetune.epochs = 0 stops after stage 1: the re-initialised model, unchanged since', async () => {
    const model = toyModel();
    const clean = toySet(32, 2);
    const { model: out, report } = await purify(model, clean, { ...quick, finetune: { epochs: 0 } });
    expect(report.cleanAcc.finetuneEpochs).toEqual([]);
    expect(report.cleanAcc.after).toBe(report.cleanAcc.afterReinit);
    // 6 of the 36 conv kernel weights are zeroed (n = 0.25, m = 0.7, as above) and nothing else moved.
    const [kernelBefore] = weightsOf(model);
    const [kernelAfter] = weightsOf(out);
    const changed = (kernelAfter as number[]).filter((v, i) => v !== (kernelBefore as number[])[i]);
    expect(changed).toEqual([0, 0, 0, 0, 0, 0]);
    expect(weightsOf(out).slice(1)).toEqual(weightsOf(model).slice(1));
    out.dispose();
    model.dispose();
  });

  it('re-estimates BatchNorm statistics after fine-tuning: the moving mean then matches the clean set through the final weights', async () => {
    // conv (2 filters) -> BN -> ReLU -> flatten -> softmax dense. After purify the BN moving mean must equal the
    // image-weighted mean, over the clean set, of the conv outputs of the RETURNED model (recomputed here by hand).
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, useBias: false, name: 'c', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }));
    m.add(tfl.layers.batchNormalization({ name: 'bn' }));
    m.add(tfl.layers.reLU());
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
    const clean = toySet(32, 3);
    const { model: out, report } = await purify(m, clean, quick);
    expect(report.recalibratedBatchNorm).toBe(1);
    const conv = tfl.sequential();
    conv.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, useBias: false, weights: out.getLayer('c').getWeights() }));
    const expected = tf.tidy(() => {
      const x = tf.div(tf.tensor4d(Array.from(clean.images), [32, 6, 6, 1]), 255);
      return Array.from(tf.mean(conv.predict(x) as tf.Tensor, [0, 1, 2]).dataSync());
    });
    const movingMean = Array.from((out.getLayer('bn').getWeights()[2] as tf.Tensor).dataSync());
    expect(movingMean[0]).toBeCloseTo(expected[0] as number, 4);
    expect(movingMean[1]).toBeCloseTo(expected[1] as number, 4);
    out.dispose();
    const off = await purify(m, clean, { ...quick, recalibrateBatchNorm: false });
    expect(off.report.recalibratedBatchNorm).toBe(0);
    off.model.dispose();
    conv.dispose();
    m.dispose();
  });

  it('names the layers NWC cannot score, in the report and a warning, and purifies the rest', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: 'c' }));
    m.add(tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
    const events = new TsbdEmitter();
    const warnings: string[] = [];
    events.on('warning', (w) => warnings.push(w));
    const { model: out, report } = await purify(m, toySet(32, 4), { ...quick, events });
    expect(report.unscoredLayers).toEqual([{ layer: 'up', className: 'Conv2DTranspose' }]);
    expect(warnings).toContain('NWC cannot score up (Conv2DTranspose): they are fine-tuned but never re-initialised');
    expect(report.totalNeurons).toBe(2); // only 'c'
    out.dispose();
    m.dispose();
  });

  describe('bad input gets an error that names the problem', () => {
    const model = toyModel();
    afterAll(() => model.dispose());

    it('a model with no scorable layer', async () => {
      const dense = tfl.sequential();
      dense.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
      dense.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
      await expect(purify(dense, toySet(8, 1), quick)).rejects.toThrow(ModelError);
      dense.dispose();
    });
    it('clean images of the wrong shape', async () => {
      const wrong: ImageSet = { ...toySet(8, 1), height: 4, width: 9 };
      await expect(purify(model, wrong, quick)).rejects.toThrow(/clean set images are 4x9x1 but the model expects 6x6x1/);
    });
    it('a clean set with another number of classes', async () => {
      await expect(purify(model, toySet(8, 1, 3), quick)).rejects.toThrow(/clean set has 3 classes but the model outputs 2/);
    });
    it('labels out of range', async () => {
      const set = toySet(8, 1);
      set.labels[5] = 7;
      await expect(purify(model, set, quick)).rejects.toThrow(/label 7 at index 5 is out of range \[0, 1\]/);
    });
    it('an empty clean set', async () => {
      const empty: ImageSet = { ...toySet(8, 1), images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 };
      await expect(purify(model, empty, quick)).rejects.toThrow(DataShapeError);
    });
    it('NaN in the weights', async () => {
      const nan = toyModel();
      const [k, b] = nan.layers[0]?.getWeights() ?? [];
      const bad = tf.fill((k as tf.Tensor).shape, NaN);
      nan.layers[0]?.setWeights([bad, b as tf.Tensor]);
      bad.dispose();
      await expect(purify(nan, toySet(8, 1), quick)).rejects.toThrow(/NaN/);
      nan.dispose();
    });
    it('r or alpha out of range', async () => {
      await expect(purify(model, toySet(8, 1), { ...quick, finetune: { rho: -1 } })).rejects.toThrow(/finetune.rho \(r\) must be/);
      await expect(purify(model, toySet(8, 1), { ...quick, finetune: { alpha: 2 } })).rejects.toThrow(ConfigError);
      await expect(purify(model, toySet(8, 1), { ...quick, fraction: 1.5 })).rejects.toThrow(/fraction must be a number in \[0, 1\]; received 1.5/);
    });
  });
});
