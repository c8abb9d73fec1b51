import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The last stdout line of `npm run -s example -- <name> --json`, parsed, as the README documents the command. */
export function runExample(name: string): {
  before: { acc: number; asr: number };
  after: { acc: number; asr: number };
  seconds: number;
  leakedTensors: number;
} {
  const r = spawnSync('npm', ['run', '-s', 'example', '--', name, '--json'], {
    cwd: join(__dirname, '..', '..'),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`example ${name} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}

/**
 * What every example must show on the committed subset (issue 15): the backdoor took (ASR >= 0.5 before), and the
 * defense removed it (ASR <= 0.10) at an ACC drop of at most 0.03, leaving no tensor behind.
 */
export function expectPurified(result: ReturnType<typeof runExample>): void {
  expect(result.before.asr).toBeGreaterThanOrEqual(0.5);
  expect(result.after.asr).toBeLessThanOrEqual(0.1);
  expect(result.before.acc - result.after.acc).toBeLessThanOrEqual(0.03);
  expect(result.leakedTensors).toBe(0);
}
