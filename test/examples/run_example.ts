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

/**
 * The tests of an example that does not meet the bar yet: it must run, show a backdoor that took, lower it and leave
 * no tensor; the bar itself is asserted as a known failure (`it.failing`), which turns red once the example meets it
 * (then use {@link expectPurified} in a plain `it`). The run happens once, in beforeAll.
 */
export function describeBelowBar(name: string): void {
  describe(`npm run -s example -- ${name} --json`, () => {
    let result: ReturnType<typeof runExample>;
    beforeAll(() => {
      result = runExample(name);
    }, 1_200_000);

    it('runs: a backdoor that took, lowered by the defense, no tensor left', () => {
      expect(result.before.asr).toBeGreaterThanOrEqual(0.5);
      expect(result.after.asr).toBeLessThan(result.before.asr);
      expect(result.leakedTensors).toBe(0);
    });

    it.failing('KNOWN FAILURE: the backdoor is gone (ASR <= 0.10) and the accuracy kept (drop <= 0.03)', () => {
      expectPurified(result);
    });
  });
}
