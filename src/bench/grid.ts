import { attackSpec } from '../attacks/registry';
import { getDefense } from '../defenses/registry';
import type { OptionValue } from '../defenses/defense';
import { ResolvedOptions } from '../defenses/defense_options';
import { ConfigError } from '../errors';
import { listArchs, type Arch } from '../models/registry';

/** An attack or a defense of the grid: a registry name and the options it runs with (none = its defaults). */
export interface NamedOptions {
  name: string;
  options: Record<string, OptionValue>;
}

/**
 * A benchmark grid (`tsbd bench --grid grid.json`): every dataset × arch × attack × poison rate × defense × seed is
 * one cell. Attack entries take the options `tsbd attack` has (by their config keys, e.g. `{"name": "blended",
 * "options": {"alpha": 0.2}}`), defense entries the options `tsbd defenses` lists.
 */
export interface Grid {
  /** `--data` specs: 'fashion-mnist', 'fashion-mnist-subset' or a directory. */
  datasets: string[];
  archs: Arch[];
  attacks: NamedOptions[];
  /** Fractions of the attacker's training images poisoned. */
  poisonRates: number[];
  defenses: NamedOptions[];
  seeds: number[];
  /** The defender's share of the attacker's training images (clean, unstamped). */
  cleanFraction: number;
  /** Poisoned images of each retuning attack (Min et al. 2024); 0 is plain clean fine-tuning. */
  retune: number[];
  /** Training images the attacker uses: the first N of a shuffle seeded by the cell's seed. */
  trainSize: number;
  /** Epochs of the attacker's training. */
  epochs: number;
  /** Target class of every all-to-one attack. @default 0 */
  target: number;
  /** Images per training step. @default 64 */
  batchSize: number;
  /** Adam learning rate of the attacker's training. @default 0.002 */
  lr: number;
  /** Test images ACC/ASR are measured on: the first N of a shuffle seeded by 0; undefined = the whole test split. */
  testSize?: number | undefined;
}

const KEYS = ['datasets', 'archs', 'attacks', 'poisonRates', 'defenses', 'seeds', 'cleanFraction', 'retune', 'trainSize', 'epochs', 'target', 'batchSize', 'lr', 'testSize'];

function fail(field: string, expected: string, received: unknown): never {
  throw new ConfigError(`grid: '${field}' must be ${expected}; received ${JSON.stringify(received)}`, { field, expected, received: String(received) });
}

function list<T>(g: Record<string, unknown>, field: string, item: (v: unknown, where: string) => T): T[] {
  const v = g[field];
  if (!Array.isArray(v) || v.length === 0) fail(field, 'a non-empty array', v);
  const out = v.map((x, i) => item(x, `${field}[${i}]`));
  const seen = new Set(out.map((x) => JSON.stringify(x)));
  if (seen.size !== out.length) fail(field, 'free of repeated entries', v);
  return out;
}

function number(v: unknown, where: string, min: number, max: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(where, `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`, v);
  }
  return v;
}

function scalar(g: Record<string, unknown>, field: string, fallback: number | undefined, min: number, max: number, integer: boolean): number {
  const v = g[field] ?? fallback;
  if (v === undefined) fail(field, 'given', v);
  return number(v, field, min, max, integer);
}

function named(v: unknown, where: string, check: (name: string, options: Record<string, OptionValue>) => void): NamedOptions {
  const entry = typeof v === 'string' ? { name: v, options: {} } : v;
  if (typeof entry !== 'object' || entry === null || typeof (entry as { name?: unknown }).name !== 'string') {
    fail(where, 'a name or {"name": ..., "options": {...}}', v);
  }
  const { name, options = {} } = entry as { name: string; options?: unknown };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail(`${where}.options`, 'an object', options);
  for (const [k, o] of Object.entries(options)) {
    if (!['number', 'string', 'boolean'].includes(typeof o)) fail(`${where}.options.${k}`, 'a number, string or boolean', o);
  }
  try {
    check(name, options as Record<string, OptionValue>);
  } catch (e) {
    throw new ConfigError(`grid: ${where}: ${(e as Error).message}`, { field: where });
  }
  return { name, options: options as Record<string, OptionValue> };
}

/**
 * Validates a parsed grid.json and fills in the defaults. Unknown fields, unknown names (attacks, defenses, archs),
 * defense options the defense does not take or out of their range, empty or repeated lists and numbers out of range
 * are refused.
 * @throws ConfigError naming the field, what it must be and what was given.
 */
export function parseGrid(json: unknown): Grid {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(top level)', 'an object', json);
  const g = json as Record<string, unknown>;
  for (const k of Object.keys(g)) if (!KEYS.includes(k)) fail(k, `one of the known fields (${KEYS.join(', ')})`, 'an unknown field');
  const archs = listArchs();
  const testSize = g['testSize'] === undefined ? undefined : scalar(g, 'testSize', undefined, 1, Infinity, true);
  return {
    datasets: list(g, 'datasets', (v, w) => (typeof v === 'string' && v !== '' ? v : fail(w, 'a --data spec', v))),
    archs: list(g, 'archs', (v, w) => (archs.includes(v as Arch) ? (v as Arch) : fail(w, `one of ${archs.join(', ')}`, v))),
    attacks: list(g, 'attacks', (v, w) => named(v, w, (n) => void attackSpec(n))),
    poisonRates: list(g, 'poisonRates', (v, w) => number(v, w, 0, 1, false)),
    defenses: list(g, 'defenses', (v, w) => named(v, w, (n, o) => void ResolvedOptions.resolve(n, getDefense(n).options, o))),
    seeds: list(g, 'seeds', (v, w) => number(v, w, 0, 2 ** 32 - 1, true)),
    cleanFraction: scalar(g, 'cleanFraction', undefined, Number.MIN_VALUE, 1, false),
    retune: list(g, 'retune', (v, w) => number(v, w, 0, Infinity, true)),
    trainSize: scalar(g, 'trainSize', undefined, 1, Infinity, true),
    epochs: scalar(g, 'epochs', undefined, 1, Infinity, true),
    target: scalar(g, 'target', 0, 0, Infinity, true),
    batchSize: scalar(g, 'batchSize', 64, 1, Infinity, true),
    lr: scalar(g, 'lr', 0.002, Number.MIN_VALUE, Infinity, false),
    ...(testSize === undefined ? {} : { testSize }),
  };
}
