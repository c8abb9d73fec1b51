import { Command, Option } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select_backend';
import { serveIpc } from '../../bench/ipc_worker';
import { runQueueWorker } from '../../bench/queue';
import { ConfigError } from '../../errors';
import { parsePositiveInt, printResult } from '../options';
import { logLine } from '../progress';

interface WorkerCliOptions {
  queue?: string;
  ipc: boolean;
  out: string;
  lockSeconds: number;
  exitWhenDone: boolean;
  json: boolean;
  quiet: boolean;
}

/**
 * `tsbd worker`: runs benchmark cells from a BullMQ queue (`--queue`), or, as a child of `tsbd bench`'s local pool,
 * from its parent (`--ipc`, hidden).
 */
export function workerCommand(backend: () => BackendName): Command {
  return new Command('worker')
    .description('run `tsbd bench --queue` cells from Redis, one at a time, on this machine; records go to OUT/records')
    .option('--queue <url>', 'redis://HOST:PORT/DB, as given to `tsbd bench --queue`')
    .addOption(new Option('--ipc', 'serve the local pool of `tsbd bench` (internal)').hideHelp().default(false))
    .option('--out <dir>', 'output directory: records/ and models/ (a directory the workers share, or gather with `tsbd bench --collect`)', 'bench-results')
    .option('--lock-seconds <s>', 'a dead worker\'s cell is run again after this many seconds', parsePositiveInt, 30)
    .option('--exit-when-done', 'exit once the queue holds no waiting or active cell', false)
    .option('--json', 'print one JSON object on stdout at exit', false)
    .option('--quiet', 'no progress on stderr', false)
    .action(async (opts: WorkerCliOptions) => {
      if (opts.ipc === (opts.queue !== undefined)) throw new ConfigError('tsbd worker needs --queue redis://HOST:PORT/DB', { option: 'queue' });
      const log = (line: string): void => logLine(opts.quiet, line);
      if (opts.ipc) {
        await selectBackend(backend());
        await serveIpc(opts.out, log);
        return;
      }
      log(`worker on ${opts.queue}; cells run in a child process on backend ${backend()}`);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      try {
        const ran = await runQueueWorker(opts.queue as string, {
          out: opts.out,
          lockSeconds: opts.lockSeconds,
          exitWhenDone: opts.exitWhenDone,
          script: process.argv[1] as string,
          backend: backend(),
          signal: stop.signal,
          log,
        });
        printResult(opts.json, { ran, out: opts.out });
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      }
    });
}
