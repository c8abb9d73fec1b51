/**
 * `purify()` from the library on a zoo model, with purify options given as JSON, on the clean draw the CLI makes
 * (`--clean-fraction 0.05 --seed 0`), then ACC / ASR on the test split and, with `--retune 5,20`, the retuning attack.
 * For quick method checks on the development half without a build; the held-out half goes through the CLI
 * (`npm run zoo -- run`). One JSON line per option set on stdout.
 *
 *   node --import tsx bench/zoo_purify.ts --only D4 [--options '{}' ...] [--retune 5,20]
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createAttack } from '../src/attacks/registry';
import { selectBackend } from '../src/backend';
import { defenderSplit } from '../src/data/defender_split';
import { loadFashionMnist } from '../src/node';
import { purify } from '../src/defenses/tsbd';
import type { PurifyOptions } from '../src/defenses/tsbd_options';
import { loadModel } from '../src/io/file_handler';
import { evaluate } from '../src/metrics/evaluate';
import { retuneAttack } from '../src/metrics/retune_attack';

import { benchArgs, type BenchArgs } from './args';
import { selectSpecs, withSeededMathRandom, zooDir } from './zoo';

const USAGE =
  "usage: node --import tsx bench/zoo_purify.ts --only D4 [--options '{\"fraction\":0.5}'] [--retune 5,20] [--math-seed S] [--dir DIR]";
const r4 = (v: number): number => Math.round(v * 10000) / 10000;

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2), USAGE, { only: 'string', options: 'string', retune: 'string', dir: 'string', 'math-seed': 'string' });
  const mathSeed = args.string('math-seed');
  if (mathSeed === undefined) return purifyOne(args);
  const seed = Number(mathSeed);
  if (!Number.isInteger(seed) || seed < 0) return args.fail(`--math-seed must be a non-negative integer; received ${mathSeed}`);
  return withSeededMathRandom(seed, () => purifyOne(args, seed));
}

async function purifyOne(args: BenchArgs, mathSeed?: number): Promise<void> {
  const spec = selectSpecs(args.string('only'))[0];
  if (spec === undefined || spec.half !== 'dev') return args.fail('one development model (--only D4)');
  const options = JSON.parse(args.string('options') ?? '{}') as PurifyOptions;
  const ks = (args.string('retune') ?? '').split(',').filter((k) => k !== '').map(Number);
  const root = zooDir(args.string('dir'));
  await selectBackend('auto');
  const { train, test } = loadFashionMnist('full');
  const { clean, rest } = defenderSplit(train, 0.05, 0);
  const model = await loadModel(join(root, spec.id));
  const attack = createAttack(JSON.parse(readFileSync(join(root, spec.id, 'attack.json'), 'utf8')) as { name: string });
  try {
    const before = await evaluate(model, test, attack);
    const { model: purified, report } = await purify(model, clean, { seed: 0, ...options });
    try {
      const after = await evaluate(purified, test, attack);
      const retune = [];
      for (const k of ks) {
        const r = await retuneAttack(purified, { clean, poisonPool: rest, attack, k, test });
        retune.push({ k, acc: r4(r.acc), asr: r4(r.asr) });
      }
      const line = {
        id: spec.id,
        options,
        ...(mathSeed === undefined ? {} : { mathSeed }),
        before: { acc: r4(before.acc), asr: r4(before.asr) },
        after: { acc: r4(after.acc), asr: r4(after.asr) },
        accDrop: r4(before.acc - after.acc),
        n: report.fraction,
        probes: report.probes.map((p) => ({ fraction: p.fraction, cost: r4(p.cost), halfwayCost: r4(p.halfwayCost), measuredCost: r4(p.measuredCost), accepted: p.accepted })),
        extrapolation: report.extrapolation,
        headShift: report.headShift,
        inversion: report.inversion,
        retune,
        seconds: Math.round(report.seconds.total),
        tensorsLeft: tf.memory().numTensors,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    } finally {
      purified.dispose();
    }
  } finally {
    model.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
