import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRecords, type CellRecord } from '../../src/bench/record';

/** The built CLI (`npm test` builds before jest). */
export const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
export const TINY_GRID = join(__dirname, 'fixtures', 'tiny_grid.json');

/** Fails clearly when dist/ is missing. */
export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

/** Starts `node dist/cli.js ...args` (own process group, so that a test can kill it with its workers). */
export function startCli(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs the CLI to its end; throws with its stderr when it fails. Returns its stdout. */
export async function runCli(args: string[]): Promise<string> {
  const run = startCli(args);
  const code = await run.exit;
  if (code !== 0) throw new Error(`tsbd ${args.join(' ')} exited with ${code}:\n${run.stderr()}`);
  return run.stdout();
}

/** Resolves once `f()` is true (polled every 50 ms); rejects after `ms`. */
export async function waitFor(f: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Record files (not temporaries) under OUT/records. */
export function recordFiles(out: string): string[] {
  const dir = join(out, 'records');
  return existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
}

/** The records under `out` without their timings (the only part that may differ between two runs of a cell). */
export function recordsWithoutTiming(out: string): Omit<CellRecord, 'seconds'>[] {
  return readRecords(out).map(({ seconds: _s, ...rest }) => rest);
}
