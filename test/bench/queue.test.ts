import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordFiles, recordsWithoutTiming, requireBuild, runCli, startCli, TINY_GRID, waitFor } from './helpers';

/** A free loopback TCP port (bound, read, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('tsbd bench --queue / tsbd worker on a real redis-server', () => {
  let dir: string;
  let redis: ChildProcess | undefined;
  let url: string;
  beforeAll(async () => {
    requireBuild();
    if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is missing: apt-get install -y redis-server (.ci/run does)');
    dir = mkdtempSync(join(tmpdir(), 'tsbd-queue-'));
    const port = await freePort();
    url = `redis://127.0.0.1:${port}/0`;
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    redis = server;
    let log = '';
    server.stdout?.on('data', (d: Buffer) => void (log += d.toString()));
    await waitFor(() => log.includes('Ready to accept connections'), 20_000, `redis-server on port ${port}`);
  });
  afterAll(() => {
    redis?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('two workers, one killed mid-cell: every cell ends exactly once, with the records of a single-worker run', async () => {
    const single = join(dir, 'single');
    await runCli(['bench', '--grid', TINY_GRID, '--workers', '1', '--out', single, '--json']);
    const shared = join(dir, 'shared');
    expect(JSON.parse(await runCli(['bench', '--grid', TINY_GRID, '--queue', url, '--out', shared, '--json']))).toEqual({ cells: 3, enqueued: 3, skipped: 0, queue: url });
    // The same cells again: their job ids are taken, nothing is enqueued twice.
    expect(JSON.parse(await runCli(['bench', '--grid', TINY_GRID, '--queue', url, '--out', shared, '--json']))).toMatchObject({ enqueued: 0, skipped: 3 });

    const worker = (): ReturnType<typeof startCli> => startCli(['worker', '--queue', url, '--out', shared, '--lock-seconds', '2', '--exit-when-done', '--json']);
    const doomed = worker();
    await waitFor(() => doomed.stderr().includes(' start (attempt 1)'), 60_000, 'the first worker to start a cell');
    const survivor = worker();
    const killedCell = /cell (\w+) start/.exec(doomed.stderr())?.[1];
    // The worker and the process running its cell, as a machine that dies would lose them.
    process.kill(-(doomed.child.pid as number), 'SIGKILL');
    await doomed.exit;
    expect(doomed.stderr()).not.toContain(`cell ${killedCell} done`);
    expect(await survivor.exit).toBe(0);

    // The survivor ran all three, the killed worker's cell included (after its lock expired), each once.
    expect(JSON.parse(survivor.stdout())).toEqual({ ran: 3, out: shared });
    for (const f of recordFiles(single)) expect(survivor.stderr().split(`cell ${f.replace('.json', '')} done`)).toHaveLength(2);
    expect(recordFiles(shared).sort()).toEqual(recordFiles(single).sort());
    expect(recordsWithoutTiming(shared)).toEqual(recordsWithoutTiming(single));

    // The records are in Redis too: --collect writes them into an empty directory; no job failed.
    const collected = join(dir, 'collected');
    expect(JSON.parse(await runCli(['bench', '--grid', TINY_GRID, '--queue', url, '--out', collected, '--collect', '--json']))).toEqual({
      cells: 3,
      collected: 3,
      present: 0,
      missing: 0,
      failed: [],
      out: collected,
    });
    expect(recordsWithoutTiming(collected)).toEqual(recordsWithoutTiming(single));
  });

  it('a worker stopped with SIGTERM finishes its cell, then exits 0 (--exit-when-done no longer polls a closed queue)', async () => {
    const db1 = url.replace(/\/0$/, '/1');
    const out = join(dir, 'stopped');
    await runCli(['bench', '--grid', TINY_GRID, '--queue', db1, '--out', out, '--json']);
    const w = startCli(['worker', '--queue', db1, '--out', out, '--lock-seconds', '2', '--exit-when-done', '--json']);
    await waitFor(() => w.stderr().includes(' start (attempt 1)'), 60_000, 'the worker to start a cell');
    w.child.kill('SIGTERM');
    expect(await w.exit).toBe(0);
    expect(JSON.parse(w.stdout())).toEqual({ ran: 1, out });
    expect(w.stderr()).not.toMatch(/poll failed|Connection is closed|Unhandled/i);
    expect(recordFiles(out)).toHaveLength(1);
  });
});
