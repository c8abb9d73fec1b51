/**
 * Runs one example: `npm run -s example -- <name> [--json] [--data subset|full] [--seed S]`.
 *
 * Progress goes to stderr. With --json the last line on stdout is one JSON object, {"before": {"acc", "asr"},
 * "after": {"acc", "asr"}, "seconds", ...}, plus `leakedTensors`: tensors alive after the example that were not
 * before it (0 for a clean script).
 *
 * tfjs draws dropout masks, unseeded initialisers and `fit`'s shuffles from Math.random; the runner (not the example,
 * which is written as a user's script) replaces Math.random with a generator seeded by --seed, so that a run can be
 * repeated.
 */
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs-core';

import { backend } from '../src';
import { Rng } from '../src/internal/rng';
import type { ExampleArgs, ExampleResult } from './setup';

const EXAMPLES: Record<string, () => Promise<{ run: (args: ExampleArgs) => Promise<ExampleResult> }>> = {
  fit_with_tsbd: () => import('./fit_with_tsbd'),
  wrap_finetune: () => import('./wrap_finetune'),
  wrap_finetune_new_head: () => import('./wrap_finetune_new_head'),
  wrap_finetune_regrouped: () => import('./wrap_finetune_regrouped'),
  purify_cli: () => import('./purify_cli'),
};

async function main(): Promise<void> {
  const program = new Command('example')
    .argument('<name>', `one of ${Object.keys(EXAMPLES).join(', ')}`)
    .addOption(new Option('--data <which>', "'subset': the committed images, short settings; 'full': installed Fashion-MNIST, the README's settings").choices(['subset', 'full']).default('subset'))
    .option('--json', 'end with one JSON line on stdout', false)
    .option('--seed <s>', "seeds Math.random, which tfjs' dropout, initialisers and fit shuffles draw from", '0')
    .action(async (name: string, opts: { data: 'subset' | 'full'; json: boolean; seed: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) program.error(`--seed must be a non-negative integer; received '${opts.seed}'`);
      const load = EXAMPLES[name];
      if (load === undefined) program.error(`unknown example '${name}': expected one of ${Object.keys(EXAMPLES).join(', ')}`);
      const { run } = await (load as NonNullable<typeof load>)();
      // Seeded after the example's modules are loaded: a module loader may draw from Math.random while it imports
      // (tsx draws 4 while importing fit_with_tsbd), and a run should not depend on which loader ran it.
      const rng = new Rng(seed);
      Math.random = () => rng.next();
      await backend.selectBackend('auto');
      const tensors = tf.memory().numTensors;
      const result = await run({ data: opts.data, log: (line) => process.stderr.write(`${name}: ${line}\n`) });
      const line = { example: name, data: opts.data, seed, ...result, leakedTensors: tf.memory().numTensors - tensors };
      if (opts.json) process.stdout.write(`${JSON.stringify(line)}\n`);
      else process.stdout.write(`${name}: ACC ${result.before.acc} -> ${result.after.acc}, ASR ${result.before.asr} -> ${result.after.asr}, ${result.seconds} s\n`);
    });
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
