/** Command-line parsing shared by the benchmarks: one usage line, exit code 2 and a message naming the bad option. */
import { parseArgs } from 'node:util';

import { listArchs, type Arch } from '../src/models';

/** The backends a benchmark can be asked for. */
export type BenchBackend = 'wasm' | 'cpu' | 'tensorflow';
const BACKENDS: readonly BenchBackend[] = ['wasm', 'cpu', 'tensorflow'];

/** Parsed options, read by name, with the checks every benchmark needs. */
export interface BenchArgs {
  string(name: string): string | undefined;
  flag(name: string): boolean;
  /** --name as an integer in [1, max]; `fallback` when absent. */
  positiveInt(name: string, fallback: number, max?: number): number;
  /** --backend, 'wasm' when absent. */
  backend(): BenchBackend;
  /** `text` as a known architecture; `option` names where it came from in the message. */
  arch(text: string, option: string): Arch;
  /** Prints `message` and the usage to stderr and exits with 2. */
  fail(message: string): never;
}

/**
 * Parses `argv` strictly against `options` (each a string or boolean option; `--help` is added and prints `usage`,
 * exiting 0). An unknown option or a missing value fails with the usage.
 */
export function benchArgs(argv: string[], usage: string, options: Record<string, 'string' | 'boolean'>): BenchArgs {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${usage}\n`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined> = {};
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries({ ...options, help: 'boolean' as const }).map(([name, type]) => [name, { type }]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values['help'] === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const string = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    string,
    flag: (name) => values[name] === true,
    positiveInt(name, fallback, max = Infinity) {
      const text = string(name);
      if (text === undefined) return fallback;
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        const range = max === Infinity ? 'a positive integer' : `an integer in [1, ${max}]`;
        fail(`--${name} must be ${range}; received ${JSON.stringify(text)}`);
      }
      return n;
    },
    backend() {
      const b = string('backend') ?? 'wasm';
      if (!BACKENDS.includes(b as BenchBackend)) {
        fail(`--backend must be ${BACKENDS.join(', ')}; received ${JSON.stringify(b)}`);
      }
      return b as BenchBackend;
    },
    arch(text, option) {
      const known = listArchs();
      if (!known.includes(text as Arch)) fail(`--${option}: unknown arch ${JSON.stringify(text)}; known: ${known.join(', ')}`);
      return text as Arch;
    },
    fail,
  };
}
