import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanModelConfig, configHash, type Cell } from './cell';
import { CellProcess } from './cell_process';

/** Options of {@link runPool}. */
export interface PoolOptions {
  /** Worker processes, >= 1. */
  workers: number;
  /** The bench output directory (records and the model cache). */
  out: string;
  /** The built CLI (dist/cli.js) each worker process runs. */
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
 * Runs `cells` on a pool of `workers` {@link CellProcess}es. A cell whose models are not cached yet is not started
 * while another worker trains them (a later cell is taken instead), so that each model is trained once. A worker
 * that dies fails its cell and is replaced for the next one. Resolves when every cell has ended.
 */
export async function runPool(cells: readonly Cell[], opts: PoolOptions): Promise<void> {
  const pending = [...cells];
  const training = new Set<string>();
  let waiters: (() => void)[] = [];
  const cached = (key: string): boolean => existsSync(join(opts.out, 'models', key, 'meta.json'));
  const take = (): { cell: Cell; claimed: string[] } | undefined => {
    const i = pending.findIndex((c) => modelKeys(c).every((k) => cached(k) || !training.has(k)));
    if (i < 0) return undefined;
    const [cell] = pending.splice(i, 1) as [Cell];
    const claimed = modelKeys(cell).filter((k) => !cached(k) && !training.has(k));
    for (const k of claimed) training.add(k);
    return { cell, claimed };
  };
  const lane = async (): Promise<void> => {
    let proc: CellProcess | undefined;
    try {
      while (pending.length > 0) {
        const job = take();
        if (job === undefined) {
          await new Promise<void>((resolve) => waiters.push(resolve));
          continue;
        }
        proc ??= new CellProcess(opts.script, opts.backend, opts.out);
        try {
          await proc.run(job.cell);
          opts.onCellEnd(job.cell.hash, undefined);
        } catch (e) {
          opts.onCellEnd(job.cell.hash, (e as Error).message);
          if (!proc.alive) proc = undefined;
        } finally {
          for (const k of job.claimed) training.delete(k);
          for (const wake of waiters) wake();
          waiters = [];
        }
      }
    } finally {
      proc?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.workers, cells.length) }, lane));
}
