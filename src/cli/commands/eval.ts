import { Command } from 'commander';
import { loadAttack } from '../../attacks/attack_file';
import type { BackendName } from '../../backend/select_backend';
import { selectBackend } from '../../backend/select_backend';
import { defenderSplit } from '../../data/defender_split';
import { ConfigError } from '../../errors';
import { loadModel } from '../../io/file_handler';
import { evaluate } from '../../metrics/evaluate';
import { retuneAttack } from '../../metrics/retune_attack';
import { DATA_HELP, formatOption, imageSizeOption, loadData, parseFraction, parseSeed, printResult, type DataCliOptions } from '../options';

interface EvalCliOptions extends DataCliOptions {
  model: string;
  attack?: string;
  retune?: number;
  cleanFraction?: number;
  seed?: number;
  json: boolean;
}

/** The defaults of `tsbd purify --clean-fraction` and `--seed`, so that `--retune` uses the same clean draw. */
const PURIFY_CLEAN_FRACTION = 0.05;
const PURIFY_SEED = 0;

/** `tsbd eval`: ACC on the clean test split, ASR and RA on its stamped non-target images; optionally the retuning attack. */
export function evalCommand(backend: () => BackendName): Command {
  return new Command('eval')
    .description('measure ACC, and ASR/RA when an attack.json is given, on the test split; with --retune K, also after the retuning attack')
    .requiredOption('--model <path>', 'model.json (or its directory)')
    .requiredOption('--data <spec>', DATA_HELP)
    .addOption(formatOption())
    .addOption(imageSizeOption())
    .option('--attack <attack.json>', 'the attack written by `tsbd attack` (its saved trigger assets are read from beside it and checked by SHA-256)')
    .option(
      '--retune <k>',
      'retuning attack (Min et al. 2024): fine-tune a copy 5 epochs (SGD, lr 0.01, momentum 0.9, batch 64) on the clean draw of ' +
        '`tsbd purify` plus K poisoned training images from outside it, then report its ACC and ASR too; needs --attack',
      parseSeed,
    )
    .option('--clean-fraction <f>', `with --retune: the clean share of the training split, as given to purify (default ${PURIFY_CLEAN_FRACTION})`, parseFraction)
    .option('--seed <s>', `with --retune: purify's --seed (clean draw), also seeding the poison draw and shuffles (default ${PURIFY_SEED})`, parseSeed)
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (opts: EvalCliOptions) => {
      if (opts.retune === undefined && (opts.cleanFraction !== undefined || opts.seed !== undefined)) {
        throw new ConfigError('--clean-fraction and --seed apply only with --retune K', { option: 'retune' });
      }
      if (opts.retune !== undefined && opts.attack === undefined) {
        throw new ConfigError('--retune needs --attack <attack.json>: the retuning attack poisons with that attack\'s trigger and target', {
          option: 'attack',
        });
      }
      await selectBackend(backend());
      const attack = opts.attack === undefined ? undefined : loadAttack(opts.attack);
      const { train, test } = loadData(opts);
      const model = await loadModel(opts.model);
      try {
        let retune: { k: number; acc: number; asr: number } | undefined;
        if (opts.retune !== undefined && attack !== undefined) {
          const seed = opts.seed ?? PURIFY_SEED;
          const { clean, rest } = defenderSplit(train, opts.cleanFraction ?? PURIFY_CLEAN_FRACTION, seed);
          retune = await retuneAttack(model, { clean, poisonPool: rest, attack, k: opts.retune, test, seed });
        }
        const m = await evaluate(model, test, attack);
        const given = attack === undefined ? { acc: m.acc } : { acc: m.acc, asr: m.asr, ra: m.ra };
        printResult(opts.json, retune === undefined ? given : { ...given, retune });
      } finally {
        model.dispose();
      }
    });
}
