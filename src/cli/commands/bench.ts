import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { BackendName } from '../../backend/select_backend';
import { expandGrid } from '../../bench/cell';
import { parseGrid } from '../../bench/grid';
import { GridProgress } from '../../bench/grid_progress';
import { runPool } from '../../bench/pool';
import { collectRecords, enqueueCells } from '../../bench/queue';
import { hasRecord } from '../../bench/record';
import { ConfigError, IoError } from '../../errors';
import { parsePositiveInt, printResult } from '../options';

interface BenchCliOptions {
  grid: string;
  workers: number;
  out: string;
  queue?: string;
  collect: boolean;
  json: boolean;
  quiet: boolean;
}

/** Reads and validates grid.json. @throws IoError when unreadable, ConfigError when not valid JSON or not a grid. */
function readGrid(path: string): ReturnType<typeof parseGrid> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read grid ${path}: ${(e as Error).message}`, { path });
  }
  try {
    return parseGrid(JSON.parse(text));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ConfigError(`grid ${path} is not valid JSON: ${e.message}`, { path });
    throw e;
  }
}

/**
 * `tsbd bench`: the comparison grid. Locally, the cells without a record run on a pool of `--workers` processes;
 * with `--queue`, they are enqueued for `tsbd worker`s instead, and `--collect` gathers the queue's records.
 */
export function benchCommand(backend: () => BackendName): Command {
  return new Command('bench')
    .description('run a grid of attacks x defenses (dataset x arch x attack x poison rate x defense x seed); one JSON record per cell in OUT/records, resumable')
    .requiredOption('--grid <grid.json>', 'the grid (see bench/fashion-mnist.json)')
    .option('--workers <k>', 'worker processes of the local pool', parsePositiveInt, 1)
    .option('--out <dir>', 'output directory: records/ (one JSON per cell) and models/ (the trained models, cached)', 'bench-results')
    .option('--queue <url>', 'redis://HOST:PORT/DB: enqueue the cells for `tsbd worker` instead of running them here')
    .option('--collect', "with --queue: write the records of the queue's completed cells that OUT lacks", false)
    .option('--json', 'print one JSON object on stdout', false)
    .option('--quiet', 'no progress on stderr', false)
    .action(async (opts: BenchCliOptions) => {
      const cells = expandGrid(readGrid(opts.grid));
      if (opts.collect) {
        if (opts.queue === undefined) throw new ConfigError('--collect needs --queue redis://HOST:PORT/DB', { option: 'collect' });
        const r = await collectRecords(opts.queue, opts.out);
        const missing = cells.filter((c) => !hasRecord(opts.out, c.hash)).length;
        printResult(opts.json, { cells: cells.length, collected: r.collected, present: r.present, missing, failed: r.failed, out: opts.out });
        return;
      }
      if (opts.queue !== undefined) {
        const r = await enqueueCells(opts.queue, cells, opts.out);
        printResult(opts.json, { cells: cells.length, enqueued: r.enqueued, skipped: r.skipped, queue: opts.queue });
        return;
      }
      const todo = cells.filter((c) => !hasRecord(opts.out, c.hash));
      const progress = new GridProgress(todo.length, cells.length - todo.length, opts.quiet);
      const failed: { hash: string; error: string }[] = [];
      try {
        await runPool(todo, {
          workers: opts.workers,
          out: opts.out,
          script: process.argv[1] as string,
          backend: backend(),
          onCellEnd: (hash, error) => {
            if (error !== undefined) failed.push({ hash, error });
            progress.cellEnded(hash, error);
          },
        });
      } finally {
        progress.stop();
      }
      printResult(opts.json, { cells: cells.length, skipped: cells.length - todo.length, done: todo.length - failed.length, failed, out: opts.out });
      if (failed.length > 0) process.exitCode = 1;
    });
}
