import type * as tfl from '@tensorflow/tfjs-layers';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec, ReportValue } from './defense';
import type { ResolvedOptions } from './defense_options';
import { runDefense } from './defense_run';
import { purifyWith, type PurifyReport, type PurifyVariation } from './tsbd';
import { HEAD_RELEASE_EPOCHS, HEAD_WARMUP_EPOCHS, type PurifyOptions } from './tsbd_options';

/** TSBD's options as the registry offers them; defaults are purify's (src/defenses/tsbd_options.ts). */
export const TSBD_OPTIONS: readonly OptionSpec[] = [
  { name: 'n', type: 'fraction-or-auto', default: 'auto', doc: "re-initialisation fraction of the NWC-ranked neurons, or 'auto' (chosen from the clean set against an n = 0 control)" },
  { name: 'm', type: 'number', default: 0.7, min: 0, max: 1, doc: "fraction of the selected neurons' pooled weights zeroed (paper: 0.7)" },
  { name: 'epochs', type: 'number-or-auto', default: 'auto', min: 1, doc: 'activeness-aware fine-tuning epochs; auto = 20 (the reference\'s), or 40 with the head shift on' },
  { name: 'alpha', type: 'number', default: 0.7, min: 0, max: 1, doc: 'weight of the perturbed gradient (paper: 0.7; 0 = plain fine-tuning)' },
  { name: 'unlearn-lr', type: 'number', default: 0.01, min: 0, minExclusive: true, doc: 'SGD learning rate of the clean unlearning' },
  { name: 'relative-nwc', type: 'boolean', default: false, doc: 'rank by weight change relative to the weight norm (experimental)' },
  { name: 'extrapolate', type: 'number', default: 1, min: 0, doc: 'stage 3: move away from the suspect model by this factor, then recover; 0 = off' },
  { name: 'extrapolate-epochs', type: 'integer', default: 10, min: 1, doc: 'stage 3 recovery epochs' },
  { name: 'head-shift', type: 'number-or-auto', default: 'auto', min: 0, doc: "weight of the cosine that keeps the re-drawn output layer away from the suspect's; 0 = off, auto = 3 when a hidden Dense layer feeds the output and invert is off" },
  { name: 'head-shift-rows', type: 'number', default: 1, min: 0, minExclusive: true, max: 1, doc: "share of the output layer's input rows the head shift moves: those fed by the hidden Dense units with the highest NWC scores; 1 = all" },
  { name: 'head-warmup', type: 'integer', default: HEAD_WARMUP_EPOCHS, min: 0, doc: 'epochs in which the re-drawn output layer trains alone (the rest frozen) before stage 2, with the head shift on; 0 = none' },
  { name: 'head-release', type: 'integer', default: HEAD_RELEASE_EPOCHS, min: 0, doc: 'epochs in which the output layer trains alone again after stage 3, penalty off, with the head shift on; 0 = none' },
  { name: 'invert', type: 'boolean-or-auto', default: 'auto', doc: "trigger inversion on the clean set, its stamped images added to the fine-tuning (head shift and zeroing then off unless set); auto = on when a hidden Dense layer feeds the output" },
  { name: 'augment', type: 'boolean', default: false, doc: 'train-time augmentation (random crop + flip) in every stage' },
];

/** purify's options from registry options; `fixed` overrides what a variant pins. */
function purifyOptions(o: ResolvedOptions, context: DefenseContext | undefined, fixed: PurifyOptions): PurifyOptions {
  const has = (name: string): boolean => name in o.values;
  return {
    ...(has('n') ? { fraction: o.fractionOrAuto('n') } : {}),
    ...(has('m') ? { weightFraction: o.number('m') } : {}),
    ...(has('relative-nwc') ? { relativeNwc: o.boolean('relative-nwc') } : {}),
    augment: o.boolean('augment') ? {} : false,
    seed: context?.seed ?? 0,
    ...(context?.range === undefined ? {} : { range: context.range }),
    ...(context?.events === undefined ? {} : { events: context.events }),
    unlearn: { lr: o.number('unlearn-lr') },
    finetune: { ...epochs(o), ...(has('alpha') ? { alpha: o.number('alpha') } : {}) },
    extrapolate: { factor: o.number('extrapolate'), epochs: o.number('extrapolate-epochs') },
    ...(has('head-shift') ? { headShift: o.fractionOrAuto('head-shift') } : {}),
    ...(has('head-shift-rows') ? { headShiftRows: o.number('head-shift-rows') } : {}),
    ...(has('head-warmup') ? { headWarmup: o.number('head-warmup') } : {}),
    ...(has('head-release') ? { headRelease: o.number('head-release') } : {}),
    ...(has('invert') ? { invert: o.booleanOrAuto('invert') } : {}),
    ...fixed,
    ...(fixed.finetune === undefined ? {} : { finetune: { ...epochs(o), ...fixed.finetune } }),
  };
}

/** The `epochs` option as purify's finetune.epochs: absent for 'auto', so that purify picks it. */
function epochs(o: ResolvedOptions): { epochs?: number } {
  const e = o.fractionOrAuto('epochs');
  return e === 'auto' ? {} : { epochs: e };
}

/** The report's `chose` part for a purify run: everything purify decided, as JSON. */
function choseOf(r: PurifyReport): { [key: string]: ReportValue } {
  return {
    fraction: r.fraction,
    fractionSource: r.fractionSource,
    probes: r.probes.map((p) => ({ ...p })) as unknown as ReportValue,
    controlAccs: r.controlAccs,
    baseAccs: r.baseAccs,
    totalNeurons: r.totalNeurons,
    neurons: r.neurons,
    weights: r.weights,
    unscoredLayers: r.unscoredLayers.map((l) => ({ ...l })),
    recalibratedBatchNorm: r.recalibratedBatchNorm,
    unlearn: { ...r.unlearn },
    cleanAcc: { ...r.cleanAcc, finetuneEpochs: r.cleanAcc.finetuneEpochs },
    headShift: r.headShift === null ? null : { ...r.headShift },
    extrapolation: r.extrapolation === null ? null : ({ ...r.extrapolation } as unknown as ReportValue),
    inversion: r.inversion === null ? null : { ...r.inversion, maskL1: r.inversion.maskL1.map((v) => (Number.isNaN(v) ? null : v)) as unknown as ReportValue },
  };
}

/**
 * A registry entry that runs TSBD's purify with `fixed` options pinned and an optional variation (the ablations).
 * The report's seconds are purify's own per-phase wall seconds.
 */
export function tsbdVariant(
  name: string,
  summary: string,
  specs: readonly OptionSpec[],
  fixed: PurifyOptions,
  variation: (seed: number) => PurifyVariation = () => ({}),
): Defense {
  return {
    name,
    summary,
    options: specs,
    run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
      runDefense(name, specs, model, clean, options, context, async (run) => {
        const { model: out, report } = await purifyWith(model, clean, purifyOptions(run.options, context, fixed), variation(run.seed));
        const { total: _total, ...phases } = report.seconds;
        return { model: out, chose: choseOf(report), seconds: phases };
      }),
  };
}

/**
 * TSBD (Lin et al., NeurIPS 2024, arXiv 2405.20291) as the package's `purify` runs it: clean unlearning and NWC
 * ranking, zero re-initialisation of the top-n neurons' most-moved weights (n chosen from the clean set by default,
 * or fixed with the `n` option), activeness-aware fine-tuning, and this package's stage 3 (see purify). Defaults
 * are purify's, unchanged.
 */
export const tsbd: Defense = tsbdVariant(
  'tsbd',
  "TSBD: NWC re-initialisation + activeness-aware fine-tuning (+ stage 3), n 'auto' or fixed",
  TSBD_OPTIONS,
  {},
);
