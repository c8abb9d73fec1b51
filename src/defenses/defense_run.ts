import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UNIT_RANGE, type PixelRange } from '../data/tensors';
import type { Phase, TsbdEmitter } from '../events';
import { ModelError } from '../errors';
import { checkNumber } from '../internal/assert';
import { evaluate } from '../metrics/evaluate';
import { checkFiniteWeights, outputKind, type OutputKind } from '../models/output_kind';
import { checkCleanSetFits } from './check_clean_set';
import type { CleanSet, DefenseContext, DefenseReport, DefenseResult, OptionSpec, ReportValue, DefenseOptions } from './defense';
import { ResolvedOptions } from './defense_options';

/** What a defense's body gets from {@link runDefense}. */
export interface DefenseRun {
  readonly clean: CleanSet;
  readonly options: ResolvedOptions;
  readonly range: PixelRange;
  readonly seed: number;
  readonly numClasses: number;
  readonly output: OutputKind;
  readonly events: TsbdEmitter | undefined;
  /** Runs `body` as phase `phase`: emits phaseStart/phaseEnd and records its wall seconds in the report. */
  phase<T>(phase: Phase, body: () => Promise<T> | T): Promise<T>;
  /** Accuracy of `model` on the clean set, a fraction in [0, 1] (inference mode). */
  cleanAcc(model: tfl.LayersModel): Promise<number>;
}

/** What a defense's body returns: the new model (never the input one) and what it chose. */
export interface DefenseOutcome {
  model: tfl.LayersModel;
  chose: { [key: string]: ReportValue };
  /** Wall seconds of phases the body timed itself (e.g. purify's own), merged into the report's. */
  seconds?: Readonly<Record<string, number>>;
}

/**
 * The frame every registered defense runs in: checks the model and the clean set, resolves the options, measures
 * clean accuracy before and after, times the phases and builds the report. The body must return a new model; if it
 * throws, it disposes what it made.
 */
export async function runDefense(
  name: string,
  specs: readonly OptionSpec[],
  model: tfl.LayersModel,
  clean: CleanSet,
  given: DefenseOptions | undefined,
  context: DefenseContext | undefined,
  body: (run: DefenseRun) => Promise<DefenseOutcome>,
): Promise<DefenseResult> {
  const t0 = performance.now();
  const { numClasses } = checkCleanSetFits(model, clean);
  checkFiniteWeights(model);
  const options = ResolvedOptions.resolve(name, specs, given);
  const range = context?.range ?? UNIT_RANGE;
  const seed = context?.seed ?? 0;
  checkNumber('seed', seed, 0, 2 ** 32, { integer: true });
  const events = context?.events;
  const seconds: Record<string, number> = {};
  const cleanAcc = async (m: tfl.LayersModel): Promise<number> => (await evaluate(m, clean, undefined, { range })).acc;
  const run: DefenseRun = {
    clean,
    options,
    range,
    seed,
    numClasses,
    output: outputKind(model),
    events,
    cleanAcc,
    phase: async (phase, f) => {
      events?.emit('phaseStart', phase);
      const start = performance.now();
      const result = await f();
      const s = (performance.now() - start) / 1000;
      seconds[phase] = (seconds[phase] ?? 0) + s;
      events?.emit('phaseEnd', phase, s);
      return result;
    },
  };
  const before = await cleanAcc(model);
  const outcome = await body(run);
  if (outcome.model === model) throw new ModelError(`defense '${name}' returned its input model; it must return a new one`, { defense: name });
  try {
    const after = await cleanAcc(outcome.model);
    Object.assign(seconds, outcome.seconds ?? {});
    seconds['total'] = (performance.now() - t0) / 1000;
    const report: DefenseReport = {
      defense: name,
      options: options.values,
      seconds,
      cleanAcc: { before, after },
      chose: outcome.chose,
      backend: tf.getBackend(),
    };
    return { model: outcome.model, report };
  } catch (e) {
    outcome.model.dispose();
    throw e;
  }
}
