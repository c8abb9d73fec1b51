/**
 * Runs examples/purify_cli.sh (attack, purify, eval with the `tsbd` CLI) after building the CLI, and reads the two
 * `tsbd eval --json` results it writes.
 *
 *   npm run -s example -- purify_cli [--json] [--data full]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { round4, type ExampleArgs, type ExampleResult, type Scores } from './setup';

const ROOT = join(__dirname, '..');
const SETTINGS = {
  // CI: the attacker trains on the committed subset's 8,000 training images; the defender holds 800 of them.
  subset: { data: join(ROOT, 'data', 'fashion-mnist-subset'), trainSize: 8000, epochs: 3, cleanFraction: 0.1 },
  // The README's: the attacker trains on 57,000 images; the defender holds 3,000 of the split (5%).
  full: { data: 'fashion-mnist', trainSize: 57000, epochs: 3, cleanFraction: 0.05 },
};

function sh(command: string, args: string[], log: (line: string) => void): void {
  log(`$ ${[command, ...args].join(' ')}`);
  const r = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function readScores(file: string): Scores {
  const r = JSON.parse(readFileSync(file, 'utf8')) as { acc: number; asr: number };
  return { acc: round4(r.acc), asr: round4(r.asr) };
}

export async function run({ data, log }: ExampleArgs): Promise<ExampleResult> {
  const s = SETTINGS[data];
  const out = mkdtempSync(join(tmpdir(), 'tsbd-cli-'));
  try {
    sh('npm', ['run', '-s', 'build'], log);
    const start = performance.now();
    sh('bash', [join(__dirname, 'purify_cli.sh'), s.data, out, String(s.trainSize), String(s.epochs), String(s.cleanFraction)], log);
    log(`script: ${((performance.now() - start) / 1000).toFixed(0)} s`);
    const report = JSON.parse(readFileSync(join(out, 'purified', 'report.json'), 'utf8')) as { fraction: number; seconds: { total: number } };
    return {
      before: readScores(join(out, 'before.json')),
      after: readScores(join(out, 'after.json')),
      seconds: Math.round(report.seconds.total),
      fraction: report.fraction,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
