import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Attack, AttackOption } from '../attacks/attack';
import { attackSpec, createAttack, listAttacks } from '../attacks/registry';
import { ConfigError } from '../errors';
import { parseFraction, parseSeed } from './options';

/** Commander parser for --patch-pos: a corner name or 'ROW,COL' (non-negative integers). */
export function parsePatchPosition(value: string): string | { row: number; col: number } {
  if (['br', 'bl', 'tr', 'tl'].includes(value)) return value;
  const m = /^(\d+),(\d+)$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError(`expected br, bl, tr, tl or ROW,COL, received '${value}'`);
  return { row: Number(m[1]), col: Number(m[2]) };
}

function parseNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, received '${value}'`);
  return v;
}

/** Every attack's own options, once each, with the attacks that take them (the registry's specs, in order). */
function allOptions(): { option: AttackOption; attacks: string[] }[] {
  const out: { option: AttackOption; attacks: string[] }[] = [];
  for (const name of listAttacks()) {
    for (const option of attackSpec(name).options) {
      const seen = out.find((o) => o.option.flag === option.flag);
      if (seen === undefined) out.push({ option, attacks: [name] });
      else seen.attacks.push(name);
    }
  }
  return out;
}

/** The commander option for an attack option; no commander default, so that an option not given stays undefined. */
function toCommander(o: AttackOption, attacks: string[]): Option {
  const opt = new Option(`--${o.flag} <${o.kind === 'int' || o.kind === 'number' ? 'n' : 'v'}>`, `${attacks.join(', ')}: ${o.help} (default ${o.default})`);
  if (o.kind === 'choice' && o.choices !== undefined) return opt.choices(o.choices);
  const parse: (value: string) => unknown = o.kind === 'int' ? parseSeed : o.kind === 'number' ? parseNumber : parsePatchPosition;
  return opt.argParser(parse);
}

/**
 * Adds --attack (a registered name, or 'none' when `allowNone`), --target, --poison-rate, --all-to-all and every
 * attack's own options to `cmd`.
 */
export function withAttackOptions(cmd: Command, allowNone: boolean): Command {
  const names = allowNone ? [...listAttacks(), 'none'] : listAttacks();
  cmd
    .addOption(new Option('--attack <name>', allowNone ? "attack ('none' trains a clean model)" : 'attack').choices(names).default('badnets'))
    .option('--target <class>', 'target class (all-to-one)', parseSeed, 0)
    .option('--poison-rate <fraction>', 'fraction of training images poisoned', parseFraction, 0.1)
    .option('--all-to-all', 'send class y to (y + 1) mod C instead of one target', false);
  for (const { option, attacks } of allOptions()) cmd.addOption(toCommander(option, attacks));
  return cmd;
}

/** The options {@link withAttackOptions} adds, as commander parses them. */
export interface AttackCliOptions {
  attack: string;
  target: number;
  poisonRate: number;
  allToAll: boolean;
  [option: string]: unknown;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The attack the options describe (undefined for 'none'), seeded with `seed`. An option of another attack is refused
 * with a ConfigError naming the attacks that take it.
 */
export function attackFromOptions(opts: AttackCliOptions, seed: number): Attack | undefined {
  for (const { option, attacks } of allOptions()) {
    if (opts[camel(option.flag)] !== undefined && !attacks.includes(opts.attack)) {
      throw new ConfigError(`--${option.flag} applies to --attack ${attacks.join(' or ')}, not ${opts.attack}`, { option: option.flag });
    }
  }
  if (opts.attack === 'none') return undefined;
  const args: Record<string, unknown> = {};
  for (const o of attackSpec(opts.attack).options) {
    const v = opts[camel(o.flag)];
    if (v !== undefined) args[o.key] = v;
  }
  return createAttack({
    name: opts.attack,
    ...args,
    target: opts.target,
    rate: opts.poisonRate,
    seed,
    mode: opts.allToAll ? 'all-to-all' : 'all-to-one',
  });
}

/** `tsbd attacks`' listing: each attack, its summary and its options with their defaults. */
export function describeAttacks(): { name: string; summary: string; cleanLabel: boolean; options: { flag: string; default: number | string; help: string }[] }[] {
  return listAttacks().map((name) => {
    const s = attackSpec(name);
    return {
      name,
      summary: s.summary,
      cleanLabel: s.cleanLabel,
      options: s.options.map((o) => ({ flag: `--${o.flag}`, default: o.default, help: o.help })),
    };
  });
}
