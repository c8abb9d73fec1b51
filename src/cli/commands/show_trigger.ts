import { Command } from 'commander';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadAttack } from '../../attacks/attack_file';
import { selectBackend, type BackendName } from '../../backend/select_backend';
import { writeFileAtomic } from '../../io/atomic_write';
import { ConfigError } from '../../errors';
import { attackFromOptions, withAttackOptions, type AttackCliOptions } from '../attack_options';
import { DATA_HELP, formatOption, imageSizeOption, loadData, parsePositiveInt, parseSeed, type DataCliOptions } from '../options';
import { encodePng, triggerPanels } from '../trigger_image';

interface ShowTriggerOptions extends AttackCliOptions, DataCliOptions {
  from?: string;
  data: string;
  index: number;
  scale: number;
  seed: number;
  out: string;
}

/** `tsbd show-trigger`: a PNG of a test image, clean | stamped | amplified difference. */
export function showTriggerCommand(backend: () => BackendName): Command {
  const cmd = new Command('show-trigger').description(
    'write a PNG of one test image: clean | stamped | |difference| amplified so that its largest value is white',
  );
  withAttackOptions(cmd, false);
  return cmd
    .option('--from <attack.json>', 'draw the attack saved by `tsbd attack` (with its assets) instead of --attack and its options')
    .option('--data <spec>', DATA_HELP, 'fashion-mnist-subset')
    .addOption(formatOption())
    .addOption(imageSizeOption())
    .option('--index <i>', 'test image to draw', parseSeed, 0)
    .option('--scale <k>', 'output pixels per image pixel, per side', parsePositiveInt, 4)
    .option('--seed <s>', 'seed of the attack', parseSeed, 0)
    .requiredOption('--out <file.png>', 'PNG file to write')
    .action(async (opts: ShowTriggerOptions) => {
      const attack = opts.from === undefined ? attackFromOptions(opts, opts.seed) : loadAttack(opts.from);
      if (attack === undefined) throw new ConfigError('show-trigger needs an attack', { option: 'attack' });
      const { test } = loadData(opts);
      await selectBackend(backend());
      const png = encodePng(triggerPanels(test, attack.applyTrigger(test), opts.index, opts.scale));
      mkdirSync(dirname(opts.out), { recursive: true });
      writeFileAtomic(opts.out, png);
      process.stderr.write(`wrote ${opts.out}\n`);
    });
}
