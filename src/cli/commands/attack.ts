import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import type { PatchPosition } from '../../attacks/badnets';
import { createAttack } from '../../attacks/registry';
import { selectBackend, type BackendName } from '../../backend/select_backend';
import { saveModel } from '../../io/file_handler';
import { writeFileAtomic } from '../../io/atomic_write';
import { evaluate } from '../../metrics/evaluate';
import { buildModel, listArchs, type Arch } from '../../models/registry';
import { trainClassifier } from '../../training/train_classifier';
import { logLine } from '../progress';
import { checkOutDir, DATA_HELP, formatOption, imageSizeOption, loadData, parseFraction, parsePositiveInt, parseSeed, printResult, seededSample, withOutputOptions, type DataCliOptions } from '../options';

interface AttackCliOptions extends DataCliOptions {
  attack: string;
  patchSize: number;
  patchPos: PatchPosition;
  patchPattern: 'white' | 'checker' | 'random';
  patternSeed: number;
  target: number;
  poisonRate: number;
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

/** Commander parser for --patch-pos: a corner name or 'ROW,COL' (non-negative integers). */
export function parsePatchPosition(value: string): PatchPosition {
  if (['br', 'bl', 'tr', 'tl'].includes(value)) return value as PatchPosition;
  const m = /^(\d+),(\d+)$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError(`expected br, bl, tr, tl or ROW,COL, received '${value}'`);
  return { row: Number(m[1]), col: Number(m[2]) };
}

/** `tsbd attack`: trains a backdoored model and saves it with the attack's config. */
export function attackCommand(backend: () => BackendName): Command {
  return withOutputOptions(
    new Command('attack')
      .description('train a model on data poisoned by an attack; writes OUT/model.json, its weights and OUT/attack.json')
      .requiredOption('--data <spec>', DATA_HELP)
      .addOption(formatOption())
      .addOption(imageSizeOption())
      .addOption(new Option('--attack <name>', 'attack').choices(['badnets']).default('badnets'))
      .option('--patch-size <px>', 'BadNets patch side, pixels', parsePositiveInt, 3)
      .option('--patch-pos <pos>', "patch corner (br, bl, tr, tl) or 'ROW,COL' of its top-left pixel", parsePatchPosition, 'br')
      .addOption(new Option('--patch-pattern <p>', 'patch pattern').choices(['white', 'checker', 'random']).default('white'))
      .option('--pattern-seed <s>', "seed of the 'random' patch pattern", parseSeed, 0)
      .option('--target <class>', 'target class (all-to-one)', parseSeed, 0)
      .option('--poison-rate <fraction>', 'fraction of training images poisoned', parseFraction, 0.1)
      .addOption(new Option('--arch <arch>', 'model family').choices(listArchs()).default('preact-resnet-s'))
      .option('--width <n>', 'base number of filters of vgg-s (default 32), preact-resnet18 (default 64) or mobilenet-s (default 16)', parsePositiveInt)
      .option('--train-size <n>', 'train on the first N images of a seeded shuffle of the training split', parsePositiveInt)
      .option('--epochs <n>', 'training epochs', parsePositiveInt, 5)
      .option('--batch-size <n>', 'images per step', parsePositiveInt, 64)
      .option('--lr <rate>', 'Adam learning rate', Number, 0.002)
      .option('--seed <s>', 'seed for sampling, poisoning, initialisation and shuffles', parseSeed, 0),
  )
    .action(async (opts: AttackCliOptions) => {
      checkOutDir(opts.out, opts.force);
      const used = await selectBackend(backend());
      const result = await runAttack(opts);
      logLine(opts.quiet, `backend ${used}`);
      printResult(opts.json, result);
    });
}

async function runAttack(opts: AttackCliOptions): Promise<Record<string, unknown>> {
  const { train, test, source } = loadData(opts);
  logLine(opts.quiet, `data ${source}: ${train.count} train, ${test.count} test images`);
  const attack = createAttack({
    name: opts.attack,
    patchSize: opts.patchSize,
    position: opts.patchPos,
    pattern: opts.patchPattern,
    patternSeed: opts.patternSeed,
    target: opts.target,
    rate: opts.poisonRate,
    seed: opts.seed,
  });
  const trainSet = seededSample(train, opts.trainSize, opts.seed);
  const poisoned = attack.poison(trainSet).set;
  const model = buildModel(opts.arch, {
    inputShape: [train.height, train.width, train.channels],
    numClasses: train.numClasses,
    seed: opts.seed,
    ...(opts.width === undefined ? {} : { width: opts.width }),
  });
  try {
    await trainClassifier(model, poisoned, {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      lr: opts.lr,
      seed: opts.seed,
      onEpochEnd: (e, loss, acc) => logLine(opts.quiet, `attack epoch ${e + 1}/${opts.epochs}: loss ${loss.toFixed(4)} acc ${acc?.toFixed(4)}`),
    });
    const m = await evaluate(model, test, attack);
    await saveModel(model, opts.out, { force: opts.force });
    writeFileAtomic(join(opts.out, 'attack.json'), `${JSON.stringify(attack.config(), null, 2)}\n`);
    return { acc: m.acc, asr: m.asr, ra: m.ra, out: opts.out };
  } finally {
    model.dispose();
  }
}
