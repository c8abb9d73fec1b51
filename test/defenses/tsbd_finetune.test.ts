import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { BatchNormRecalibration } from '../../src/callbacks/batch_norm_recalibration';
import { NwcReinit } from '../../src/callbacks/nwc_reinit';
import type { ImageSet } from '../../src/data/image_set';
import { batchDataset } from '../../src/data/batch_dataset';
import { toTensors } from '../../src/data/tensors';
import { recalibrateBatchNorm } from '../../src/models/recalibrate_batch_norm';
import { chooseReinitFraction } from '../../src/defenses/choose_fraction';
import { tsbdFinetune } from '../../src/defenses/tsbd_finetune';
import { unlearn } from '../../src/defenses/unlearn';
import { resolvePurifyOptions } from '../../src/defenses/tsbd_options';
import { ConfigError, DataShapeError } from '../../src/errors';
import { GradNormOptimizer } from '../../src/optimizers/grad_norm';
import { expectNoLeak } from '../helpers/leak';
import { toyModel, toySet } from './toy';

const clean = toySet(40, 5);

async function trainedToy(): Promise<tfl.LayersModel> {
  const model = toyModel();
  const adam = tf.train.adam(0.05);
  model.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
  const { x, y } = toTensors(clean);
  await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0, shuffle: false });
  tf.dispose([x, y]);
  adam.dispose();
  return model;
}

const kernelOf = (m: tfl.LayersModel, layer: number): number[] => Array.from(m.layers[layer]?.getWeights()[0]?.dataSync() ?? []);

/** Records the first layer's kernel when each fit begins (placed after the job's callbacks, so it sees their work). */
class KernelAtTrainBegin extends tfl.Callback {
  readonly seen: number[][] = [];
  constructor(private readonly watched: tfl.LayersModel) {
    super();
  }
  override async onTrainBegin(): Promise<void> {
    this.seen.push(kernelOf(this.watched, 0));
  }
}

describe('tsbdFinetune: TSBD around a fine-tuning job the team runs itself', () => {
  let model: tfl.LayersModel;
  beforeEach(async () => {
    model = await trainedToy();
  });
  afterEach(() => model.dispose());

  it('stage 1 changes nothing; the first fit zeroes exactly the masked kernel elements, and a second fit does not zero again', async () => {
    const original = model.getWeights().map((w) => Array.from(w.dataSync()));
    const job = tsbdFinetune(model, clean, { fraction: 0.5, unlearn: { maxEpochs: 3 } });
    const report = await job.stageOne();
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(original);
    expect(report.fraction).toBe(0.5);
    expect(report.fractionSource).toBe('given');
    expect(report.totalNeurons).toBe(4); // the conv's 4 filters; the output Dense is never scored
    expect(report.neurons).toBe(2);
    // m = 0.7 of the 2 neurons' 2 * 9 incoming weights: floor(12.6) = 12.
    expect(report.weights).toBe(12);
    const mask = job.reinitMask?.layers.get(model.layers[0]?.name ?? '');
    expect(mask?.reduce((s, v) => s + v, 0)).toBe(12);

    const seen = new KernelAtTrainBegin(model);
    model.compile({ optimizer: job.optimizer(), loss: 'categoricalCrossentropy' });
    const { x, y } = toTensors(clean);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [...job.callbacks(), seen] });
    const afterFirst = kernelOf(model, 0);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [...job.callbacks(), seen] });
    tf.dispose([x, y]);
    job.dispose();

    const before = original[0] as number[];
    const atFirst = seen.seen[0] as number[];
    atFirst.forEach((v, i) => expect(v).toBe(mask?.[i] === 1 ? 0 : before[i]));
    expect(seen.seen[1]).toEqual(afterFirst);
  });

  it('gives the same callback instances on every call: a NwcReinit, then the BatchNorm re-estimation', async () => {
    const job = tsbdFinetune(model, clean, { fraction: 0.25, unlearn: { maxEpochs: 1 } });
    expect(() => job.callbacks()).toThrow(ConfigError);
    expect(() => job.callbacks()).toThrow(/stageOne/);
    await job.stageOne();
    const [reinit, recal, ...rest] = job.callbacks();
    expect(reinit).toBeInstanceOf(NwcReinit);
    expect(recal).toBeInstanceOf(BatchNormRecalibration);
    expect(rest).toEqual([]);
    expect(job.callbacks()[0]).toBe(reinit);
    job.dispose();
    const off = tsbdFinetune(model, clean, { fraction: 0.25, unlearn: { maxEpochs: 1 }, recalibrateBatchNorm: false });
    await off.stageOne();
    expect(off.callbacks()).toHaveLength(1);
    off.dispose();
  });

  it("wraps the team's optimizer with the stage-2 settings and leaves it to the team; frees what it made", () => {
    const job = tsbdFinetune(model, clean, { finetune: { rho: 0.1, alpha: 0.4, normalize: 'global', lr: 0.03 } });
    const team = tf.train.momentum(0.01, 0.9);
    const wrapped = job.optimizer(team);
    expect(wrapped).toBeInstanceOf(GradNormOptimizer);
    expect(wrapped.inner).toBe(team);
    expect([wrapped.rho, wrapped.alpha, wrapped.normalize]).toEqual([0.1, 0.4, 'global']);
    const made = job.optimizer();
    expect(made.inner.getConfig()).toEqual(expect.objectContaining({ learningRate: 0.03, momentum: 0.9 }));
    const teamRate = (team as unknown as { c: tf.Tensor }).c;
    const madeRate = (made.inner as unknown as { c: tf.Tensor }).c;
    job.dispose();
    expect(madeRate.isDisposed).toBe(true);
    expect(teamRate.isDisposed).toBe(false);
    team.dispose();
    teamRate.dispose();
  });

  it('refuses stage 3 options and a clean set the model cannot read, naming the problem', () => {
    expect(() => tsbdFinetune(model, clean, { extrapolate: { factor: 1 } } as never)).toThrow(/extrapolate is a purify option/);
    const wide: ImageSet = { ...toySet(4, 1), width: 3, images: new Uint8Array(4 * 18) };
    expect(() => tsbdFinetune(model, wide)).toThrow(DataShapeError);
    expect(() => tsbdFinetune(model, wide)).toThrow(/6x3x1 but the model expects 6x6x1/);
  });

  it('leaves no tensor behind: stage 1 with the automatic n, compile, fit with the callbacks, dispose', async () => {
    const { x, y } = toTensors(clean);
    await expectNoLeak(async () => {
      const job = tsbdFinetune(model, clean, { unlearn: { maxEpochs: 2 }, auto: { candidates: [0.25, 0.5], probeSteps: 4 } });
      await job.stageOne();
      model.compile({ optimizer: job.optimizer(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: job.callbacks() });
      job.dispose();
    });
    tf.dispose([x, y]);
  });
});

describe('tsbdFinetune inside fitDataset', () => {
  it('zeroes the masked elements when training begins, re-estimates BatchNorm at each epoch end, leaves no tensor', async () => {
    // The toy net with a BatchNorm after its conv: conv -> BN -> flatten -> softmax Dense.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }),
        tfl.layers.batchNormalization({ name: 'bn' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const original = kernelOf(model, 0);
    const job = tsbdFinetune(model, clean, { fraction: 0.5, unlearn: { maxEpochs: 2 } });
    await job.stageOne();
    const mask = job.reinitMask?.layers.get(model.layers[0]?.name ?? '');
    const seen = new KernelAtTrainBegin(model);
    const movingMean = (): number[] => Array.from(model.getLayer('bn').getWeights()[2]?.dataSync() ?? []);
    const fresh: boolean[] = [];
    // After the job's callbacks at each epoch end: the statistics are the clean set's for the current weights, so
    // re-estimating them once more changes nothing.
    const check = new tfl.CustomCallback({
      onEpochEnd: async () => {
        const before = movingMean();
        recalibrateBatchNorm(model, clean);
        fresh.push(movingMean().every((v, i) => Math.abs(v - (before[i] as number)) < 1e-5));
      },
    });
    const tensors = tf.memory().numTensors;
    model.compile({ optimizer: job.optimizer(), loss: 'categoricalCrossentropy' });
    await model.fitDataset(batchDataset(clean, { batchSize: 8, seed: 1 }), { epochs: 2, verbose: 0, callbacks: [...job.callbacks(), seen, check] });
    job.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    (seen.seen[0] as number[]).forEach((v, i) => expect(v).toBe(mask?.[i] === 1 ? 0 : original[i]));
    expect(fresh).toEqual([true, true]);
    model.dispose();
  });
});

describe('chooseReinitFraction: the automatic n, for a script that runs the stages itself', () => {
  it('probes on copies and returns the rule of purify: tolerance 1 takes the largest candidate after one probe', async () => {
    const model = await trainedToy();
    const original = model.getWeights().map((w) => Array.from(w.dataSync()));
    const o = resolvePurifyOptions({ unlearn: { maxEpochs: 2 } }, 2, clean.count);
    const { scores } = await unlearn(model, clean, 'probabilities', o);
    const choice = await chooseReinitFraction(model, scores, clean, { auto: { candidates: [0.25, 0.75, 0.5], tolerance: 1, probeSteps: 4 } });
    expect(choice.fraction).toBe(0.75);
    expect(choice.probes.map((p) => p.fraction)).toEqual([0.75]);
    expect(choice.controlAccs).toHaveLength(2);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(original);
    model.dispose();
  });

  it('with invert (the script fine-tunes on the stamped set) gives n = 0 without a probe, as purify does', async () => {
    const model = await trainedToy();
    const o = resolvePurifyOptions({ unlearn: { maxEpochs: 2 } }, 2, clean.count);
    const { scores } = await unlearn(model, clean, 'probabilities', o);
    const choice = await chooseReinitFraction(model, scores, clean, { invert: true });
    expect(choice).toMatchObject({ fraction: 0, probes: [], controlAccs: [] });
    await expect(chooseReinitFraction(model, scores, clean, { invert: 'yes' as unknown as boolean })).rejects.toThrow(/invert must be true or false/);
    model.dispose();
  });
});
