import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createAttack } from '../../attacks/registry';
import type { BackendName } from '../../backend/select_backend';
import { selectBackend } from '../../backend/select_backend';
import { IoError } from '../../errors';
import { loadModel } from '../../io/file_handler';
import { evaluate } from '../../metrics/evaluate';
import { loadData, printResult } from '../options';

interface EvalCliOptions {
  model: string;
  data: string;
  attack?: string;
  json: boolean;
}

/** `tsbd eval`: ACC on the clean test split, ASR and RA on its stamped non-target images. */
export function evalCommand(backend: () => BackendName): Command {
  return new Command('eval')
    .description('measure ACC, and ASR/RA when an attack.json is given, on the test split')
    .requiredOption('--model <path>', 'model.json (or its directory)')
    .requiredOption('--data <spec>', "'fashion-mnist' or a directory of IDX files")
    .option('--attack <attack.json>', 'the attack config written by `tsbd attack`')
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (opts: EvalCliOptions) => {
      await selectBackend(backend());
      const attack = opts.attack === undefined ? undefined : createAttack(readJson(opts.attack));
      const { test } = loadData(opts.data);
      const model = await loadModel(opts.model);
      try {
        const m = await evaluate(model, test, attack);
        printResult(opts.json, attack === undefined ? { acc: m.acc } : { acc: m.acc, asr: m.asr, ra: m.ra });
      } finally {
        model.dispose();
      }
    });
}

function readJson(path: string): { name: string; [k: string]: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new IoError(`cannot read attack config ${path}: ${(e as Error).message}`, { path });
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { name?: unknown }).name !== 'string') {
    throw new IoError(`attack config ${path} has no "name" field`, { path });
  }
  return parsed as { name: string; [k: string]: unknown };
}
