import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import type { BackendName } from '../../backend/select_backend';
import { selectBackend } from '../../backend/select_backend';
import { purify } from '../../defenses/tsbd';
import { FINETUNE_SCHEDULES, HEAD_RELEASE_EPOCHS, HEAD_WARMUP_EPOCHS, type FinetuneSchedule } from '../../defenses/tsbd_options';
import type { LayerSelection } from '../../hooks/scorable_layers';
import { writeFileAtomic } from '../../io/atomic_write';
import { loadModel, saveModel } from '../../io/file_handler';
import { logLine, stderrProgress } from '../progress';
import { registryOptions, runRegisteredDefense, type DefenseCliOptions } from './purify_defense';
import { checkOutDir, DATA_HELP, formatOption, imageSizeOption, loadData, parseFraction, parsePositiveInt, parseSeed, printResult, seededSample, seededSlice, withOutputOptions } from '../options';

/** `tsbd purify`'s flags: the registry's, and TSBD's own. */
interface PurifyCliOptions extends DefenseCliOptions {
  n: number | 'auto';
  m: number;
  augment: boolean;
  epochs?: number;
  normalize: 'global' | 'per-tensor';
  lrSchedule: FinetuneSchedule;
  alpha: number;
  relativeNwc: boolean;
  layers: LayerSelection;
  unlearnLr?: number;
  extrapolate: number;
  extrapolateEpochs: number;
  headShift: number | 'auto';
  headShiftRows: number;
  headWarmup: number;
  headRelease: number;
  invert: boolean | 'auto';
}

function parseInvert(value: string): boolean | 'auto' {
  if (value === 'auto') return 'auto';
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new InvalidArgumentError(`expected 'auto', 'on' or 'off', received '${value}'`);
}

function parseN(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  try {
    return parseFraction(value);
  } catch {
    throw new InvalidArgumentError(`expected 'auto' or a fraction in [0, 1], received '${value}'`);
  }
}

/** Commander parser for --unlearn-lr: a finite number > 0. */
function parseUnlearnLr(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidArgumentError(`--unlearn-lr expects a positive number (a learning rate), received '${value}'`);
  }
  return v;
}

/** Commander parser for a flag that takes a finite number >= 0, where 0 turns its stage off. */
function nonNegative(flag: string, what: string): (value: string) => number {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(`${flag} expects ${what} >= 0 (0 turns it off), received '${value}'`);
    }
    return v;
  };
}

const LAYER_SELECTIONS: readonly LayerSelection[] = ['auto', 'conv', 'conv+dense'];

/**
 * `tsbd purify`: TSBD on a saved model with a clean sample of the training split. The defender's clean set is the
 * first `round(cleanFraction * count)` images of a seeded shuffle (`--seed`) of the training split of `--data`: the
 * split the attacker trained on, in its clean, unstamped form.
 */
export function purifyCommand(backend: () => BackendName): Command {
  return withOutputOptions(
    new Command('purify')
      .description('remove a backdoor with TSBD using a clean sample of the training split; writes OUT/model.json, OUT/report.json and the NWC ranking (OUT/ranking.json, OUT/ranking.csv: layer, neuron, score)')
      .requiredOption('--model <path>', 'model.json (or its directory) to purify')
      .requiredOption(
        '--data <spec>',
        `${DATA_HELP}. The defender's clean set is drawn, by a seeded shuffle (--seed), from ` +
          'its training split: the split the attacker trained on (attack --data), in its clean, unstamped form',
      )
      .addOption(formatOption())
      .addOption(imageSizeOption())
      .option(
        '--clean-fraction <f>',
        "share of the training split the defender holds: the first round(f * count) images of a seeded shuffle (--seed) of " +
          'the split the attacker trained on, clean and unstamped',
        parseFraction,
        0.05,
      )
      .option(
        '--skip-first <count>',
        "draw the clean set after the first COUNT images of the seeded shuffle: with the attack's --train-size and --seed, images the attacker never trained on",
        parseSeed,
        0,
      )
      .option('--n <n>', "re-initialisation fraction, or 'auto' to choose it from the clean data", parseN, 'auto')
      .option('--m <m>', 'fraction of the selected neurons\' pooled weights zeroed', parseFraction, 0.7)
      .option('--augment', 'train-time augmentation (random crop + flip) in both stages', false)
      .option('--epochs <n>', 'fine-tuning epochs (default: 20, or 40 with the head shift on)', parsePositiveInt)
      .addOption(
        new Option('--normalize <how>', 'gradient-norm normalisation: per-tensor (reference code) or global (paper)')
          .choices(['per-tensor', 'global'])
          .default('per-tensor'),
      )
      .addOption(
        new Option(
          '--lr-schedule <how>',
          "fine-tuning learning rate over each fit: cosine (a half cosine from the rate towards 0), hold-cosine (the rate for the first half of the epochs, then the half cosine) or constant (the reference's)",
        )
          .choices([...FINETUNE_SCHEDULES])
          .default('cosine'),
      )
      .option('--alpha <a>', 'weight of the perturbed gradient in the activeness-aware step; 0 = plain fine-tuning (with --n 0: the plain fine-tuning baseline)', parseFraction, 0.7)
      .addOption(
        new Option(
          '--layers <which>',
          'layers NWC scores; auto = every convolution and hidden Dense layer (as conv+dense)',
        )
          .choices(LAYER_SELECTIONS)
          .default('auto'),
      )
      .option('--relative-nwc', 'rank neurons by their weight change relative to their weight norm (experimental; see docs/foreign-models.md)', false)
      .option('--unlearn-lr <rate>', 'SGD learning rate of the clean unlearning (gradient ascent), > 0 (default: purify\'s, 0.01)', parseUnlearnLr)
      .option(
        '--extrapolate <factor>',
        'stage 3: move the fine-tuned weights this multiple of their displacement further from the suspect model, then recover (so that the purification lasts); 0 = off',
        nonNegative('--extrapolate', 'a factor'),
        1,
      )
      .option('--extrapolate-epochs <n>', 'stage 3 recovery epochs (activeness-aware fine-tuning)', parsePositiveInt, 10)
      .option(
        '--head-shift <weight>',
        "re-draw the output layer and fine-tune it away from the suspect's (weight of their cosine in the loss); 0 = off, auto = 3 when a hidden Dense layer feeds the output layer and --invert is off; 3 with --head-warmup 0 made the purification last against re-tuning on four models, at some ACC (README)",
        (value: string) => (value === 'auto' ? 'auto' : nonNegative('--head-shift', "'auto' or a weight")(value)),
        'auto',
      )
      .option(
        '--head-shift-rows <share>',
        'shift only the rows of the output layer fed by this share of the hidden Dense units, those with the highest NWC scores; 1 = the whole layer',
        parseShare,
        1,
      )
      .option(
        '--head-warmup <epochs>',
        'with the head shift on: epochs in which the re-drawn output layer trains alone (the rest frozen) before stage 2; 0 = none',
        parseSeed,
        HEAD_WARMUP_EPOCHS,
      )
      .option(
        '--head-release <epochs>',
        'with the head shift on: epochs in which the output layer trains alone again after stage 3, without the penalty; 0 = none',
        parseSeed,
        HEAD_RELEASE_EPOCHS,
      )
      .option(
        '--invert <mode>',
        "trigger inversion on the clean set, its stamped images added to stages 2 and 3 (the head shift and the zeroing then off unless given): auto = on when a hidden Dense layer feeds the output layer, on, off",
        parseInvert,
        'auto' as const,
      )
      .option('--seed <s>', 'seed for the clean sample and all shuffles', parseSeed, 0)
      .option('--defense <name>', "the defense to run (see 'tsbd defenses'); tsbd is TSBD with the flags above", 'tsbd')
      .option(
        '--option <name=value>',
        "an option of the chosen defense (repeatable; see 'tsbd defenses'); the TSBD flags above also reach a defense that has the option of that name",
        (value: string, previous: string[]) => [...previous, value],
        [] as string[],
      ),
  )
    .action(async (opts: PurifyCliOptions, cmd: Command) => {
      checkOutDir(opts.out, opts.force);
      if (opts.defense !== 'tsbd' || opts.option.length > 0) {
        await runRegisteredDefense(opts, registryOptions(opts, cmd), backend());
        return;
      }
      const used = await selectBackend(backend());
      logLine(opts.quiet, `backend ${used}`);
      const { train, source } = loadData(opts);
      const cleanCount = Math.round(opts.cleanFraction * train.count);
      const clean = opts.skipFirst > 0 ? seededSlice(train, opts.skipFirst, cleanCount, opts.seed) : seededSample(train, cleanCount, opts.seed);
      logLine(opts.quiet, `data ${source}: clean set of ${clean.count} training images${opts.skipFirst > 0 ? ` after the first ${opts.skipFirst} of the shuffle` : ''}`);
      const model = await loadModel(opts.model);
      try {
        const { model: purified, report, scores } = await purify(model, clean, {
          fraction: opts.n,
          weightFraction: opts.m,
          layers: opts.layers,
          relativeNwc: opts.relativeNwc,
          augment: opts.augment ? {} : false,
          seed: opts.seed,
          ...(opts.unlearnLr === undefined ? {} : { unlearn: { lr: opts.unlearnLr } }),
          finetune: { ...(opts.epochs === undefined ? {} : { epochs: opts.epochs }), normalize: opts.normalize, alpha: opts.alpha, schedule: opts.lrSchedule },
          extrapolate: { factor: opts.extrapolate, epochs: opts.extrapolateEpochs },
          headShift: opts.headShift,
          headShiftRows: opts.headShiftRows,
          headWarmup: opts.headWarmup,
          headRelease: opts.headRelease,
          invert: opts.invert,
          events: stderrProgress(opts.quiet),
        });
        try {
          await saveModel(purified, opts.out, { force: opts.force });
          writeFileAtomic(join(opts.out, 'report.json'), `${JSON.stringify({ ...report, cleanCount: clean.count, data: source }, null, 2)}\n`);
          writeFileAtomic(join(opts.out, 'ranking.json'), `${JSON.stringify(scores.toJSON())}\n`);
          writeFileAtomic(join(opts.out, 'ranking.csv'), scores.toCSV());
        } finally {
          purified.dispose();
        }
        printResult(opts.json, {
          n: report.fraction,
          neurons: report.neurons,
          weights: report.weights,
          seconds: report.seconds,
          out: opts.out,
        });
      } finally {
        model.dispose();
      }
    });
}

/** Commander parser: a share in (0, 1]. */
function parseShare(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 1) throw new InvalidArgumentError(`expected a share in (0, 1], received '${value}'`);
  return v;
}
