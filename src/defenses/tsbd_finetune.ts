import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { BatchNormRecalibration } from '../callbacks/batch_norm_recalibration';
import { HeadShift } from '../callbacks/head_shift';
import { stageHeadShift } from './stage_tools';
import { NwcReinit, reinitMask, type ReinitMask } from '../callbacks/nwc_reinit';
import type { ImageSet } from '../data/image_set';
import { ConfigError } from '../errors';
import type { NwcScores } from '../hooks/nwc';
import { unscoredKernelLayers, type UnscoredKernelLayer } from '../hooks/scorable_layers';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { checkFiniteWeights, outputKind } from '../models/output_kind';
import { GradNormOptimizer } from '../optimizers/grad_norm';
import { checkCleanSetFits } from './check_clean_set';
import { chooseFraction, type FractionProbe } from './choose_fraction';
import { resolvePurifyOptions, type PurifyOptions, type ResolvedPurifyOptions } from './tsbd_options';
import { unlearn } from './unlearn';

/**
 * Options of {@link tsbdFinetune}: purify's, less what the team's own `fit` decides. `finetune.epochs` and
 * `finetune.batchSize` are the team's `fit` arguments; stage 3 (`extrapolate`) needs a fit of its own and belongs to
 * `purify`. `finetune.lr` and `finetune.momentum` make the inner optimizer when the team passes none.
 */
export type TsbdFinetuneOptions = Omit<PurifyOptions, 'extrapolate' | 'invert' | 'inversion'>;

/** What {@link TsbdFinetune.stageOne} found, as plain numbers. Accuracies are fractions in [0,1] on the clean set. */
export interface StageOneReport {
  /** n: the fraction of ranked neurons whose weights the reinit callback zeroes. */
  fraction: number;
  fractionSource: 'auto' | 'given';
  /** Every candidate n the automatic rule tried (empty when n was given). */
  probes: FractionProbe[];
  /** Kernel layers NWC cannot score (fine-tuned, never zeroed). */
  unscoredLayers: UnscoredKernelLayer[];
  totalNeurons: number;
  /** Neurons and kernel elements the mask zeroes. */
  neurons: number;
  weights: number;
  unlearn: { epochs: number; stopReason: string; acc: number };
  /** Wall time, in seconds. */
  seconds: { unlearn: number; select: number };
}

/**
 * TSBD around a fine-tuning job the team already runs: one object that gives stage 1, the optimizer to compile
 * with, and the callbacks to pass to the team's own `fit` or `fitDataset`.
 *
 * 1. `await job.stageOne()` unlearns a copy of the model on the clean set, ranks neurons by NWC and chooses n
 *    (automatically unless `fraction` is given). The model is not changed.
 * 2. `model.compile({optimizer: job.optimizer(), ...})` wraps the team's optimizer (or SGD with momentum) in the
 *    activeness-aware gradient-norm update of stage 2.
 * 3. `model.fit(x, y, {callbacks: [...job.callbacks(), ...theTeamsOwn]})`: the first callback zeroes the chosen
 *    weights when training begins (once, however many `fit` calls follow), the second re-estimates BatchNorm
 *    statistics on the clean set when training ends.
 * 4. `job.dispose()` after training frees the optimizers the job made.
 *
 * The model passed in is the one that is changed, by the team's `fit`, as their job already does; `purify` is the
 * call that leaves the model alone and returns a purified copy.
 *
 * `clean` is labelled in the model's own classes, since stage 1 unlearns its head. A team whose labels belong to
 * another task (a new head, classes of its own) can label its images with the model's predictions instead,
 * `{...images, labels: Uint8Array.from(await metrics.predictLabels(model, images))}`: on the wrap_finetune_regrouped
 * example that took ASR to 0.035 where the plain job left 0.104 (README).
 *
 * @example
 * const job = tsbdFinetune(model, clean);
 * await job.stageOne();
 * model.compile({optimizer: job.optimizer(), loss: 'categoricalCrossentropy', metrics: ['accuracy']});
 * await model.fit(x, y, {epochs: 20, batchSize: 64, callbacks: [...job.callbacks(), tf.callbacks.earlyStopping()]});
 * job.dispose();
 */
export class TsbdFinetune {
  private readonly o: ResolvedPurifyOptions;
  private readonly output: 'probabilities' | 'logits';
  private mask: ReinitMask | undefined;
  private scores: NwcScores | undefined;
  /** What optimizer() made, to free on dispose. (`instanceof` cannot sort them: tf.Optimizer's is duck-typed.) */
  private madeInner: tf.Optimizer[] = [];
  private madeWrappers: GradNormOptimizer[] = [];
  private madeCallbacks: tfl.Callback[] | undefined;

  constructor(
    readonly model: tfl.LayersModel,
    readonly clean: ImageSet,
    private readonly options: TsbdFinetuneOptions = {},
  ) {
    const { numClasses } = checkCleanSetFits(model, clean);
    if ('extrapolate' in (options as PurifyOptions)) {
      throw new ConfigError('tsbdFinetune has no stage 3: extrapolate is a purify option', { option: 'extrapolate' });
    }
    // The team's own fit has no inversion stage: 'auto' options resolve as purify's do without it.
    this.o = resolvePurifyOptions({ ...options, invert: false }, numClasses, clean.count, model);
    this.output = outputKind(model);
  }

  /** The zero re-initialisation mask chosen by stageOne (undefined before it). Plain data. */
  get reinitMask(): ReinitMask | undefined {
    return this.mask;
  }

  /**
   * TSBD stage 1 on a copy: unlearning, NWC ranking, choice of n. Reads the model, changes nothing. Emits the same
   * phase, epoch, probe and warning events as purify on `options.events`.
   */
  async stageOne(): Promise<StageOneReport> {
    checkFiniteWeights(this.model);
    const events = this.options.events;
    const unscoredLayers = unscoredKernelLayers(this.model);
    if (unscoredLayers.length > 0) {
      events?.emit(
        'warning',
        `NWC cannot score ${unscoredLayers.map((l) => `${l.layer} (${l.className})`).join(', ')}: they are fine-tuned but never re-initialised`,
      );
    }
    const timed = async <T>(phase: 'unlearn' | 'select', run: () => Promise<T>): Promise<[T, number]> => {
      events?.emit('phaseStart', phase);
      const start = performance.now();
      const result = await run();
      const seconds = (performance.now() - start) / 1000;
      events?.emit('phaseEnd', phase, seconds);
      return [result, seconds];
    };
    const [unlearned, unlearnSeconds] = await timed('unlearn', () => unlearn(this.model, this.clean, this.output, this.o, events));
    const scores: NwcScores = unlearned.scores;
    const [choice, selectSeconds] = await timed('select', async () =>
      this.o.fraction === 'auto'
        ? chooseFraction(this.model, scores, this.clean, this.output, this.o, events)
        : { fraction: this.o.fraction, probes: [] as FractionProbe[] },
    );
    this.mask = reinitMask(scores, choice.fraction, this.o.weightFraction);
    this.scores = scores;
    this.madeCallbacks = undefined;
    return {
      fraction: choice.fraction,
      fractionSource: this.o.fraction === 'auto' ? 'auto' : 'given',
      probes: choice.probes,
      unscoredLayers,
      totalNeurons: scores.ranking.length,
      neurons: this.mask.neurons,
      weights: this.mask.weights,
      unlearn: { epochs: unlearned.epochs, stopReason: unlearned.stopReason, acc: unlearned.acc },
      seconds: { unlearn: unlearnSeconds, select: selectSeconds },
    };
  }

  /**
   * The stage-2 optimizer: `inner` (the team's optimizer; default SGD with momentum at `finetune.lr` and
   * `finetune.momentum`) wrapped in the gradient-norm update with `finetune.rho`, `alpha` and `normalize`. About twice
   * the time per step of `inner` alone. The job disposes what it made; `inner`, when given, stays the team's.
   */
  optimizer(inner?: tf.Optimizer): GradNormOptimizer {
    const f = this.o.finetune;
    let base = inner;
    if (base === undefined) {
      base = tf.train.momentum(f.lr, f.momentum);
      this.madeInner.push(base);
    }
    const wrapped = new GradNormOptimizer(base, { rho: f.rho, alpha: f.alpha, normalize: f.normalize });
    this.madeWrappers.push(wrapped);
    return wrapped;
  }

  /**
   * The callbacks for the team's `fit`: zero re-initialisation with the stage-1 mask, the head shift (unless
   * `headShift: 0`), then BatchNorm re-estimation on
   * the clean set (unless `recalibrateBatchNorm: false`). The same instances on every call, so a job that trains in
   * several `fit` calls zeroes the weights once.
   */
  callbacks(): tfl.Callback[] {
    const mask = this.mask;
    const scores = this.scores;
    if (mask === undefined || scores === undefined) throw new ConfigError('call stageOne() before callbacks(): the reinit mask comes from it', { option: 'stageOne' });
    if (this.madeCallbacks === undefined) {
      const list: tfl.Callback[] = [new NwcReinit({ mask, keepZero: this.o.finetune.keepZero })];
      const shift = stageHeadShift(this.o, this.model, scores);
      if (shift !== undefined) list.push(shift);
      if (this.o.recalibrateBatchNorm) list.push(new BatchNormRecalibration({ set: this.clean, range: this.o.range }));
      this.madeCallbacks = list;
    }
    return [...this.madeCallbacks];
  }

  /** Frees the optimizers this job made and the callbacks' kept tensors. Idempotent. */
  dispose(): void {
    for (const wrapper of this.madeWrappers) wrapper.dispose();
    for (const inner of this.madeInner) disposeOptimizer(inner);
    this.madeWrappers = [];
    this.madeInner = [];
    for (const c of this.madeCallbacks ?? []) if (c instanceof NwcReinit || c instanceof HeadShift) c.dispose();
  }
}

/** Factory for {@link TsbdFinetune}. */
export function tsbdFinetune(model: tfl.LayersModel, clean: ImageSet, options: TsbdFinetuneOptions = {}): TsbdFinetune {
  return new TsbdFinetune(model, clean, options);
}
