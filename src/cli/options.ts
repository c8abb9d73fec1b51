import { type Command, InvalidArgumentError } from 'commander';
import { loadFashionMnist } from '../data/fashion_mnist';
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

/**
 * Loads `--data`: 'fashion-mnist' means the full set when installed (or $TSBD_DATA), else the committed subset;
 * 'fashion-mnist-subset' forces the subset; anything else is a directory of IDX files.
 */
export function loadData(spec: string): { train: ImageSet; test: ImageSet; source: string } {
  if (spec === 'fashion-mnist') return loadFashionMnist('auto');
  if (spec === 'fashion-mnist-subset') return loadFashionMnist('subset');
  return loadFashionMnist(spec);
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
