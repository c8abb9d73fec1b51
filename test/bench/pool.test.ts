import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGrid } from '../../src/bench/cell';
import { parseGrid } from '../../src/bench/grid';
import { recordFiles, recordsWithoutTiming, requireBuild, runCli, startCli, TINY_GRID, waitFor } from './helpers';

/** The tiny grid with `patch` applied, written to DIR/name. */
function gridFile(dir: string, name: string, patch: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(TINY_GRID, 'utf8')), ...patch }));
  return path;
}

describe('tsbd bench: the local pool and resume', () => {
  let dir: string;
  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'tsbd-bench-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every cell once on 2 workers; a killed run resumes to the same records on 1 worker', async () => {
    // Two seeds: 6 cells (reference, ft, clp per seed) over 4 models, so that the two workers overlap.
    const grid = gridFile(dir, 'two-seeds.json', { seeds: [1, 2] });
    const hashes = expandGrid(parseGrid(JSON.parse(readFileSync(grid, 'utf8')))).map((c) => c.hash).sort();
    const pooled = join(dir, 'pooled');
    const summary = JSON.parse(await runCli(['bench', '--grid', grid, '--workers', '2', '--out', pooled, '--json']));
    expect(summary).toEqual({ cells: 6, skipped: 0, done: 6, failed: [], out: pooled });
    expect(recordFiles(pooled).sort()).toEqual(hashes.map((h) => `${h}.json`));
    for (const r of recordsWithoutTiming(pooled)) {
      expect(r.backend).toBe('wasm');
      expect(r.cleanCount).toBe(20); // round(0.1 x 200)
      expect(r.retune.map((x) => x.k)).toEqual([2]);
      if (r.config.kind === 'defense') expect(r.der).toBeCloseTo((Math.max(0, r.before.asr - (r.after?.asr ?? 0)) - Math.max(0, r.before.acc - (r.after?.acc ?? 0)) + 1) / 2, 12);
    }

    // Seed 1 alone (its cells hash as in the two-seed grid): kill the whole run (the bench process and its worker)
    // once the first record exists, then run it again.
    const seedOne = gridFile(dir, 'seed-one.json', { seeds: [1] });
    const seedOneRecords = recordsWithoutTiming(pooled).filter((r) => r.config.row.seed === 1);
    const resumed = join(dir, 'resumed');
    const first = startCli(['bench', '--grid', seedOne, '--workers', '1', '--out', resumed, '--json']);
    await waitFor(() => recordFiles(resumed).length >= 1, 90_000, 'the first record');
    process.kill(-(first.child.pid as number), 'SIGKILL');
    await first.exit;
    const survived = recordFiles(resumed);
    expect(survived.length).toBeGreaterThanOrEqual(1);
    expect(survived.length).toBeLessThan(3);
    for (const f of survived) expect(() => JSON.parse(readFileSync(join(resumed, 'records', f), 'utf8'))).not.toThrow();

    const second = JSON.parse(await runCli(['bench', '--grid', seedOne, '--workers', '1', '--out', resumed, '--json']));
    expect(second).toEqual({ cells: 3, skipped: survived.length, done: 3 - survived.length, failed: [], out: resumed });
    expect(recordsWithoutTiming(resumed)).toEqual(seedOneRecords);
    // Nothing left to do: a third run skips every cell.
    expect(JSON.parse(await runCli(['bench', '--grid', seedOne, '--out', resumed, '--json']))).toMatchObject({ skipped: 3, done: 0 });
  });

  it('refuses a grid that does not validate, with exit code 2 and the field named', async () => {
    const bad = gridFile(dir, 'bad.json', { poisonRates: [2] });
    const run = startCli(['bench', '--grid', bad, '--out', join(dir, 'bad')]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain("'poisonRates[0]' must be a number in [0, 1]; received 2");
  });
});
