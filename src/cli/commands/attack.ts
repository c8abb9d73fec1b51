import { Command, Option } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select_backend';
import type { Attack } from '../../attacks/attack';
import { saveAttack } from '../../attacks/attack_file';
import { meanPsnr } from '../../attacks/psnr';
import { subset, type ImageSet } from '../../data/image_set';
import { saveModel } from '../../io/file_handler';
import { evaluate } from '../../metrics/evaluate';
import { listArchs, type Arch } from '../../models/registry';
import { trainAttackedModel } from '../../training/train_attacked';
import { attackFromOptions, withAttackOptions, type AttackCliOptions } from '../attack_options';
import { logLine } from '../progress';
import { checkOutDir, DATA_HELP, formatOption, imageSizeOption, loadData, parsePositiveInt, parseSeed, printResult, seededSample, withOutputOptions, type DataCliOptions } from '../options';

interface AttackCommandOptions extends AttackCliOptions, DataCliOptions {
  arch: Arch;
  width?: number;
  trainSize?: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  out: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
}

/** `tsbd attack`: trains a backdoored model (or a clean one, --attack none) and saves it with the attack's config. */
export function attackCommand(backend: () => BackendName): Command {
  const cmd = new Command('attack')
    .description('train a model on data poisoned by an attack; writes OUT/model.json, its weights, OUT/attack.json and the attack\'s assets (`tsbd attacks` lists attacks and options)')
    .requiredOption('--data <spec>', DATA_HELP)
    .addOption(formatOption())
    .addOption(imageSizeOption());
  withAttackOptions(cmd, true);
  return withOutputOptions(
    cmd
      .addOption(new Option('--arch <arch>', 'model family').choices(listArchs()).default('preact-resnet-s'))
      .option('--width <n>', 'base number of filters of vgg-s (default 32), preact-resnet18 (default 64) or mobilenet-s (default 16)', parsePositiveInt)
      .option('--train-size <n>', 'train on the first N images of a seeded shuffle of the training split', parsePositiveInt)
      .option('--epochs <n>', 'training epochs', parsePositiveInt, 5)
      .option('--batch-size <n>', 'images per step', parsePositiveInt, 64)
      .option('--lr <rate>', 'Adam learning rate', Number, 0.002)
      .option('--seed <s>', 'seed for sampling, poisoning, triggers, initialisation and shuffles', parseSeed, 0),
  ).action(async (opts: AttackCommandOptions) => {
    const attack = attackFromOptions(opts, opts.seed);
    checkOutDir(opts.out, opts.force);
    const used = await selectBackend(backend());
    const result = await runAttack(opts, attack);
    logLine(opts.quiet, `backend ${used}`);
    printResult(opts.json, result);
  });
}

/** The test images the attack relabels (as `evaluate` measures ASR on), and their PSNR once stamped, in dB. */
function stampedPsnr(attack: Attack, test: ImageSet): number {
  const keep: number[] = [];
  for (let i = 0; i < test.count; i++) if (attack.poisonLabel(test.labels[i] as number, test.numClasses) !== test.labels[i]) keep.push(i);
  const clean = subset(test, keep);
  return meanPsnr(clean, attack.applyTrigger(clean));
}

async function runAttack(opts: AttackCommandOptions, attack: Attack | undefined): Promise<Record<string, unknown>> {
  const { train, test, source } = loadData(opts);
  logLine(opts.quiet, `data ${source}: ${train.count} train, ${test.count} test images`);
  const trainSet = seededSample(train, opts.trainSize, opts.seed);
  const { model } = await trainAttackedModel(trainSet, attack, opts, (line) => logLine(opts.quiet, line));
  try {
    const m = await evaluate(model, test, attack);
    await saveModel(model, opts.out, { force: opts.force });
    if (attack === undefined) return { acc: m.acc, asr: null, ra: null, out: opts.out };
    saveAttack(opts.out, attack, train, { psnr: stampedPsnr(attack, test) });
    return { acc: m.acc, asr: m.asr, ra: m.ra, out: opts.out };
  } finally {
    model.dispose();
  }
}
