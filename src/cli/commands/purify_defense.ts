import type { Command } from 'commander';
import { join } from 'node:path';
import type { BackendName } from '../../backend/select_backend';
import { selectBackend } from '../../backend/select_backend';
import { cleanSet, type OptionValue } from '../../defenses/defense';
import { parseOptionText } from '../../defenses/defense_options';
import { getDefense } from '../../defenses/registry';
import { ConfigError } from '../../errors';
import { writeFileAtomic } from '../../io/atomic_write';
import { loadModel, saveModel } from '../../io/file_handler';
import { checkOutDir, loadData, printResult, seededSample, seededSlice, type DataCliOptions } from '../options';
import { logLine, stderrProgress } from '../progress';

/** The purify flags a registered defense can receive, by the option name they map to. */
const FLAG_TO_OPTION: Readonly<Record<string, string>> = {
  n: 'n',
  m: 'm',
  epochs: 'epochs',
  alpha: 'alpha',
  unlearnLr: 'unlearn-lr',
  relativeNwc: 'relative-nwc',
  extrapolate: 'extrapolate',
  extrapolateEpochs: 'extrapolate-epochs',
  headShift: 'head-shift',
  headShiftRows: 'head-shift-rows',
  headWarmup: 'head-warmup',
  headRelease: 'head-release',
  invert: 'invert',
  augment: 'augment',
};

/** Flags only TSBD's own path reads. */
const TSBD_ONLY = ['normalize', 'layers'];

/** What `tsbd purify` passes to a registered defense. */
export interface DefenseCliOptions extends DataCliOptions {
  model: string;
  cleanFraction: number;
  skipFirst: number;
  seed: number;
  out: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
  defense: string;
  option: string[];
}

/**
 * The options for `--defense NAME`: each TSBD flag given on the command line, under its option name, then each
 * `--option name=value`. @throws ConfigError for an unknown defense, a flag or option the defense does not have, or
 * a value of the wrong kind.
 */
export function registryOptions(opts: DefenseCliOptions, cmd: Command): Record<string, OptionValue> {
  const defense = getDefense(opts.defense);
  const specs = new Map(defense.options.map((s) => [s.name, s]));
  const out: Record<string, OptionValue> = {};
  const values = cmd.opts<Record<string, unknown>>();
  for (const flag of TSBD_ONLY) {
    if (cmd.getOptionValueSource(flag) === 'cli') {
      throw new ConfigError(`--${flag} applies to --defense tsbd only; '${defense.name}' does not read it`, { defense: defense.name, flag });
    }
  }
  for (const [flag, name] of Object.entries(FLAG_TO_OPTION)) {
    if (cmd.getOptionValueSource(flag) !== 'cli') continue;
    if (!specs.has(name)) {
      throw new ConfigError(`defense '${defense.name}' has no option '${name}' (given as a flag); its options are: ${[...specs.keys()].join(', ') || '(none)'}`, {
        defense: defense.name,
        option: name,
      });
    }
    out[name] = values[flag] as OptionValue;
  }
  for (const text of opts.option) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    const spec = specs.get(name);
    if (eq < 0 || spec === undefined) {
      throw new ConfigError(
        eq < 0
          ? `--option expects name=value; received '${text}'`
          : `defense '${defense.name}' has no option '${name}'; its options are: ${[...specs.keys()].join(', ') || '(none)'}`,
        { defense: defense.name, option: text },
      );
    }
    out[name] = parseOptionText(defense.name, spec, text.slice(eq + 1));
  }
  return out;
}

/**
 * `tsbd purify --defense NAME`: runs a registered defense on the same clean draw as TSBD's path and writes
 * OUT/model.json and OUT/report.json (the DefenseReport plus the clean count and data source). With --json it
 * prints {defense, cleanAcc, seconds, chose, out}.
 */
export async function runRegisteredDefense(opts: DefenseCliOptions, options: Record<string, OptionValue>, backend: BackendName): Promise<void> {
  checkOutDir(opts.out, opts.force);
  const defense = getDefense(opts.defense);
  const used = await selectBackend(backend);
  logLine(opts.quiet, `backend ${used}; defense ${defense.name}`);
  const { train, source } = loadData(opts);
  const cleanCount = Math.round(opts.cleanFraction * train.count);
  const drawn = opts.skipFirst > 0 ? seededSlice(train, opts.skipFirst, cleanCount, opts.seed) : seededSample(train, cleanCount, opts.seed);
  const clean = cleanSet(drawn);
  logLine(opts.quiet, `data ${source}: clean set of ${clean.count} training images${opts.skipFirst > 0 ? ` after the first ${opts.skipFirst} of the shuffle` : ''}`);
  const model = await loadModel(opts.model);
  try {
    const { model: purified, report } = await defense.run(model, clean, options, { seed: opts.seed, events: stderrProgress(opts.quiet) });
    try {
      await saveModel(purified, opts.out, { force: opts.force });
      writeFileAtomic(join(opts.out, 'report.json'), `${JSON.stringify({ ...report, cleanCount: clean.count, data: source }, null, 2)}\n`);
    } finally {
      purified.dispose();
    }
    printResult(opts.json, { defense: report.defense, cleanAcc: report.cleanAcc, seconds: report.seconds, chose: report.chose, out: opts.out });
  } finally {
    model.dispose();
  }
}
