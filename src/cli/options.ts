import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadFashionMnist } from '../data/fashion_mnist';
import { DATA_FORMATS, loadDataset, type DataFormat } from '../data/load_dataset';
import type { ImageSize } from '../data/resize_image';
import type { ImageSet } from '../data/image_set';
import { subset } from '../data/image_set';
import { ConfigError, IoError } from '../errors';
import { Rng } from '../internal/rng';
import { existsSync, readdirSync } from 'node:fs';

/** Commander parser: a fraction in [0, 1]. */
export function parseFraction(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new InvalidArgumentError(`expected a fraction in [0, 1], received '${value}'`);
  }
  return v;
}

/** Commander parser: a positive integer. */
export function parsePositiveInt(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`expected a positive integer, received '${value}'`);
  return v;
}

/** Commander parser: a non-negative integer (seeds, counts). */
export function parseSeed(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`expected a non-negative integer, received '${value}'`);
  return v;
}

/** Commander parser for --image-size: 'N' (square) or 'HxW', positive integers (pixels). */
export function parseImageSize(value: string): ImageSize {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
  const height = Number(m?.[1]);
  const width = m?.[2] === undefined ? height : Number(m[2]);
  if (m === null || !(height >= 1 && width >= 1)) {
    throw new InvalidArgumentError(`expected N or HxW in pixels (e.g. 32 or 64x48), received '${value}'`);
  }
  return { height, width };
}

/** The data options that `--data` shares: `--format` and `--image-size`. */
export interface DataCliOptions {
  data: string;
  format: DataFormat | 'auto';
  imageSize?: ImageSize;
}

/** The --format option: the layout of the --data directory. */
export function formatOption(): Option {
  return new Option('--format <format>', 'layout of the --data directory; auto detects it').choices(['auto', ...DATA_FORMATS]).default('auto');
}

/** The --image-size option: the size images are resized to while loading. */
export function imageSizeOption(): Option {
  return new Option('--image-size <size>', 'resize images to N or HxW pixels (gtsrb: default 32; tiny-imagenet, image-folders: default as stored)').argParser(
    parseImageSize,
  );
}

/** What --data accepts, for help texts. */
export const DATA_HELP =
  "'fashion-mnist' (full set if installed, else the committed subset), 'fashion-mnist-subset', or a directory: IDX files, " +
  'CIFAR-10 binary batches, GTSRB, Tiny-ImageNet, or train/<class>/ + test/<class>/ image folders (see --format)';

/**
 * Loads `--data`: 'fashion-mnist' means the full set when installed (or $TSBD_DATA), else the committed subset;
 * 'fashion-mnist-subset' forces the subset; anything else is a directory read by {@link loadDataset} in the
 * format `--format` names or detects, resized to `--image-size` when given.
 */
export function loadData(opts: DataCliOptions): { train: ImageSet; test: ImageSet; source: string } {
  const named = opts.data === 'fashion-mnist' ? 'auto' : opts.data === 'fashion-mnist-subset' ? 'subset' : undefined;
  if (named !== undefined) {
    if (opts.format !== 'auto' && opts.format !== 'idx') {
      throw new ConfigError(`--data ${opts.data} is IDX data; --format ${opts.format} does not apply`, { option: 'format' });
    }
    if (opts.imageSize !== undefined) throw new ConfigError(`--image-size does not apply to --data ${opts.data}`, { option: 'imageSize' });
    return loadFashionMnist(named);
  }
  return loadDataset(opts.data, { format: opts.format, ...(opts.imageSize === undefined ? {} : { imageSize: opts.imageSize }) });
}

/** Positions of the first `n` of a seeded shuffle of 0..count-1: the images {@link seededSample} takes. */
export function seededIndices(count: number, n: number, seed: number): Int32Array {
  return new Rng(seed).permutation(count).subarray(0, n);
}

/**
 * Images `skip` .. `skip + n - 1` of a seeded shuffle of `set`. With `skip` = the attack's `--train-size` and the
 * attack's seed, they are images the attacker never trained on (`tsbd attack` trains on the first `--train-size`).
 * Throws ConfigError, naming the counts, when the shuffle has fewer than `skip + n` images.
 */
export function seededSlice(set: ImageSet, skip: number, n: number, seed: number): ImageSet {
  if (skip + n > set.count) {
    throw new ConfigError(`cannot skip ${skip} images and then take ${n}: the training split holds ${set.count}`, { skip, n, count: set.count });
  }
  return subset(set, new Rng(seed).permutation(set.count).subarray(skip, skip + n));
}

/** The first `n` images of a seeded shuffle of `set` (all of them when n is undefined or >= count). */
export function seededSample(set: ImageSet, n: number | undefined, seed: number): ImageSet {
  if (n === undefined || n >= set.count) return set;
  return subset(set, seededIndices(set.count, n, seed));
}

/** Refuses an output directory that exists and is not empty, unless `force`; checked BEFORE any long work. */
export function checkOutDir(dir: string, force: boolean): void {
  if (!force && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new IoError(`output ${dir} exists and is not empty; pass --force to replace it`, { path: dir });
  }
}

/** Prints the result: one JSON object on stdout with --json, else an aligned key: value listing. */
export function printResult(json: boolean, result: Record<string, unknown>): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const flat = (prefix: string, value: unknown): string[] =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flat(prefix === '' ? k : `${prefix}.${k}`, v))
      : [`${prefix.padEnd(20)} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(4) : String(value)}`];
  process.stdout.write(`${flat('', result).join('\n')}\n`);
}

/** Adds the options every command that writes a directory shares: --out, --force, --json, --quiet. */
export function withOutputOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--out <dir>', 'output directory')
    .option('--force', 'replace an existing output directory', false)
    .option('--json', 'print one JSON object on stdout', false)
    .option('--quiet', 'no progress on stderr', false);
}
