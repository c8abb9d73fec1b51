import { Command, CommanderError, Option } from 'commander';
import { version } from '../../package.json';
import type { BackendName } from '../backend/select_backend';
import { IoError, TsbdError } from '../errors';
import { attackCommand } from './commands/attack';
import { attacksCommand } from './commands/attacks';
import { benchCommand } from './commands/bench';
import { defensesCommand } from './commands/defenses';
import { demoCommand } from './commands/demo';
import { evalCommand } from './commands/eval';
import { purifyCommand } from './commands/purify';
import { reportCommand } from './commands/report';
import { showTriggerCommand } from './commands/show_trigger';
import { workerCommand } from './commands/worker';

/**
 * The `tsbd` command line. Exit codes: 0 success; 2 bad usage: the command line cannot be carried out as given (an
 * unknown or invalid option, input that does not fit, a missing input file, an output that exists without --force;
 * the message is the TsbdError's); 1 a failure while carrying it out: a write that failed (disk full, permissions)
 * or an unexpected error. With --json a command prints exactly one JSON object on stdout; progress and logs go to
 * stderr.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('tsbd')
    .description('remove backdoors from TensorFlow.js models with TSBD (NeurIPS 2024)')
    .version(version, '-V, --version', 'print the tfjs-tsbd version')
    .addOption(
      new Option('--backend <name>', 'tfjs backend: auto = tfjs-node(-gpu) if installed, else wasm, else cpu')
        .choices(['auto', 'tensorflow', 'wasm', 'cpu'])
        .default('auto'),
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const backend = (): BackendName => program.opts<{ backend: BackendName }>().backend;
  for (const cmd of [demoCommand(backend), attackCommand(backend), attacksCommand(), showTriggerCommand(backend), purifyCommand(backend), evalCommand(backend), defensesCommand(), benchCommand(backend), workerCommand(backend), reportCommand()]) {
    program.addCommand(cmd.exitOverride());
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof TsbdError) {
      process.stderr.write(`tsbd: error: ${e.message}\n`);
      return e instanceof IoError && e.details['op'] === 'write' ? 1 : 2;
    }
    process.stderr.write(`tsbd: failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
