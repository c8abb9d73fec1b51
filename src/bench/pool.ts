import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanModelConfig, configHash, type Cell } from './cell';

/** A message from a pool worker: it is ready for cells, or the cell `hash` ended with a record written (ok) or an error. */
export type WorkerReply = { ready: true } | { hash: string; ok: boolean; error?: string };

/** Options of {@link runPool}. */
export interface PoolOptions {
  /** Worker processes, >= 1. */
  workers: number;
  /** The bench output directory (records and the model cache). */
  out: string;
  /** The built CLI (dist/cli.js): each worker is `node SCRIPT --backend B worker --ipc --out OUT`. */
  script: string;
  /** The tfjs backend every worker selects. */
  backend: string;
  /** Called when a cell ends; `error` is set when it failed (also when its worker died). */
  onCellEnd: (hash: string, error: string | undefined) => void;
}

/** The cache keys of the models a cell needs (the row's attacked model; a reference cell also the clean one). */
function modelKeys(cell: Cell): string[] {
  const keys = [configHash(cell.config.row)];
  if (cell.config.kind === 'reference') keys.push(configHash(cleanModelConfig(cell.config.row)));
  return keys;
}

/**
 * Runs `cells` on a pool of worker processes (child_process.fork of the built CLI). Processes, not threads: each
 * worker selects its own tfjs backend with its own memory, a worker that crashes (out of memory, a native abort)
 * takes only its cell down, and the same `tsbd worker` code serves the queue. A cell whose models are not cached
 * yet is not started while another worker trains them (the next cell is taken instead), so each model is trained
 * once. A worker that dies fails its cell and is replaced. Resolves when every cell has ended.
 */
export function runPool(cells: readonly Cell[], opts: PoolOptions): Promise<void> {
  const pending = [...cells];
  const training = new Set<string>();
  const busy = new Map<ChildProcess, { cell: Cell; claimed: string[] }>();
  const idle: ChildProcess[] = [];
  let live = 0;
  const cached = (key: string): boolean => existsSync(join(opts.out, 'models', key, 'meta.json'));
  return new Promise((resolve) => {
    const finish = (child: ChildProcess, error: string | undefined): void => {
      const job = busy.get(child);
      if (job === undefined) return;
      busy.delete(child);
      for (const k of job.claimed) training.delete(k);
      opts.onCellEnd(job.cell.hash, error);
    };
    const dispatch = (): void => {
      while (idle.length > 0) {
        const i = pending.findIndex((c) => modelKeys(c).every((k) => cached(k) || !training.has(k)));
        if (i < 0) break;
        const [cell] = pending.splice(i, 1) as [Cell];
        const claimed = modelKeys(cell).filter((k) => !cached(k));
        for (const k of claimed) training.add(k);
        const child = idle.pop() as ChildProcess;
        busy.set(child, { cell, claimed });
        child.send({ cell });
      }
      if (pending.length === 0) for (const child of idle.splice(0)) child.disconnect();
      if (live === 0 && pending.length === 0) resolve();
    };
    const spawn = (): void => {
      live++;
      const child = fork(opts.script, ['--backend', opts.backend, 'worker', '--ipc', '--out', opts.out], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
      child.on('message', (m: WorkerReply) => {
        if ('hash' in m) finish(child, m.ok ? undefined : (m.error ?? 'failed'));
        idle.push(child);
        dispatch();
      });
      child.on('exit', (code, signal) => {
        live--;
        const i = idle.indexOf(child);
        if (i >= 0) idle.splice(i, 1);
        if (busy.has(child)) {
          finish(child, `worker exited (${signal ?? `code ${code}`}) during the cell: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
          if (pending.length > 0) spawn();
        }
        if (live === 0) {
          // No worker is left to take the cells (one that never became ready, e.g. a missing script).
          for (const cell of pending.splice(0)) opts.onCellEnd(cell.hash, `no worker could start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
        }
        dispatch();
      });
    };
    for (let i = 0; i < Math.min(opts.workers, cells.length); i++) spawn();
    dispatch();
  });
}
