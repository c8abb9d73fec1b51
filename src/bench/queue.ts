import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { ConfigError } from '../errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell } from './cell';
import { CellProcess } from './cell_process';
import { hasRecord, recordsDir, writeRecordOnce, type CellRecord } from './record';

/** The BullMQ queue the cells go through. */
const QUEUE = 'tsbd-bench';

/**
 * Redis connection options from redis://[user:password@]HOST:PORT[/DB]. A worker retries forever (BullMQ requires
 * it); a one-shot command (enqueue, collect) gives up after 4 failed connection attempts (about 1 s), so that an
 * unreachable server is an error, not a hang. @throws ConfigError for another form.
 */
export function redisConnection(url: string, oneShot = false): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue expects redis://HOST:PORT/DB; received '${url}'`, { option: 'queue' });
  }
  const db = u.pathname.replace(/^\//, '');
  if (u.protocol !== 'redis:' || u.hostname === '' || (db !== '' && !/^\d+$/.test(db))) {
    throw new ConfigError(`--queue expects redis://HOST:PORT/DB; received '${url}'`, { option: 'queue' });
  }
  return {
    host: u.hostname,
    port: u.port === '' ? 6379 : Number(u.port),
    db: db === '' ? 0 : Number(db),
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
    maxRetriesPerRequest: oneShot ? 1 : null,
    ...(oneShot ? { retryStrategy: (attempt: number): number | null => (attempt > 4 ? null : 250) } : {}),
  };
}

/**
 * Enqueues the cells that have no record under `out`, each as a job whose id is its config hash: BullMQ ignores a
 * job id it holds already, so a cell is never enqueued twice. Returns how many jobs were new.
 */
export async function enqueueCells(url: string, cells: readonly Cell[], out: string): Promise<{ enqueued: number; skipped: number }> {
  const queue = new Queue(QUEUE, { connection: redisConnection(url, true) });
  try {
    const todo = cells.filter((c) => !hasRecord(out, c.hash));
    const known = new Set<string>();
    for (const c of todo) if ((await queue.getJob(c.hash)) !== undefined) known.add(c.hash);
    const fresh = todo.filter((c) => !known.has(c.hash));
    await queue.addBulk(fresh.map((cell) => ({ name: 'cell', data: { cell }, opts: { jobId: cell.hash, attempts: 2, removeOnComplete: false, removeOnFail: false } })));
    return { enqueued: fresh.length, skipped: cells.length - fresh.length };
  } finally {
    await queue.close();
  }
}

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /** Where records are written (a directory the workers share, or this machine's, gathered by `--collect`). */
  out: string;
  /**
   * Seconds a job's lock lasts without renewal; a worker that dies loses its job this long after, and another
   * worker runs it again (BullMQ's stalled-job check, every half of this).
   */
  lockSeconds: number;
  /** Return once the queue holds no waiting, delayed or active job; else run until `signal` aborts. */
  exitWhenDone: boolean;
  /** The built CLI the cells run in (a {@link CellProcess}), and its tfjs backend. */
  script: string;
  backend: string;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/**
 * Runs queued cells one at a time, each in a {@link CellProcess}, until stopped: each job's record is written once
 * under `out` (create-exclusive, so a cell run twice after a stall still has one record) and is also the job's
 * return value, kept in Redis. A job whose worker dies is run again by another worker once its lock expires.
 */
export async function runQueueWorker(url: string, opts: QueueWorkerOptions): Promise<number> {
  const connection = redisConnection(url);
  let proc: CellProcess | undefined;
  let ran = 0;
  const worker = new Worker<{ cell: Cell }, CellRecord>(
    QUEUE,
    async (job) => {
      opts.log(`cell ${job.data.cell.hash} start (attempt ${job.attemptsMade + 1})`);
      proc = proc?.alive === true ? proc : new CellProcess(opts.script, opts.backend, opts.out);
      await proc.run(job.data.cell);
      ran++;
      opts.log(`cell ${job.data.cell.hash} done`);
      return JSON.parse(readFileSync(join(recordsDir(opts.out), `${job.data.cell.hash}.json`), 'utf8')) as CellRecord;
    },
    { connection, concurrency: 1, lockDuration: opts.lockSeconds * 1000, stalledInterval: (opts.lockSeconds * 1000) / 2, maxStalledCount: 2 },
  );
  worker.on('failed', (job, err) => opts.log(`cell ${job?.id ?? '?'} failed: ${err.message}`));
  const queue = new Queue(QUEUE, { connection });
  // The poll is cleared however the wait ends: a timer left running after an abort keeps the process (or a test
  // worker) alive after the worker has closed.
  let poll: ReturnType<typeof setInterval> | undefined;
  try {
    await new Promise<void>((resolve) => {
      if (opts.signal?.aborted === true) return resolve();
      opts.signal?.addEventListener('abort', () => resolve(), { once: true });
      if (!opts.exitWhenDone) return;
      poll = setInterval(() => {
        queue
          .getJobCounts('wait', 'active', 'delayed', 'paused', 'prioritized', 'waiting-children')
          .then((c) => {
            if (Object.values(c).every((n) => n === 0)) resolve();
          })
          .catch((e: unknown) => opts.log(`queue poll failed: ${e instanceof Error ? e.message : String(e)}`));
      }, 500);
    });
  } finally {
    if (poll !== undefined) clearInterval(poll);
    await worker.close();
    await queue.close();
    proc?.close();
  }
  return ran;
}

/**
 * Writes the record of every completed job that `out` lacks (from the jobs' return values in Redis) and lists the
 * failed jobs with their reasons.
 */
export async function collectRecords(url: string, out: string): Promise<{ collected: number; present: number; failed: { hash: string; reason: string }[] }> {
  const queue = new Queue(QUEUE, { connection: redisConnection(url, true) });
  try {
    let collected = 0;
    let present = 0;
    for (const job of await queue.getJobs(['completed'])) {
      if (writeRecordOnce(out, job.returnvalue as CellRecord)) collected++;
      else present++;
    }
    const failed = (await queue.getJobs(['failed'])).map((j) => ({ hash: j.id ?? '?', reason: j.failedReason }));
    return { collected, present, failed };
  } finally {
    await queue.close();
  }
}
