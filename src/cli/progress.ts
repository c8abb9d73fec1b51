import { SingleBar, Presets } from 'cli-progress';
import { TsbdEmitter, type Phase } from '../events';

/**
 * Human progress on stderr for a purification: a bar per phase while stderr is a terminal, and one line per phase
 * end either way (so CI logs show progress too). stdout is left alone for `--json`.
 */
export function stderrProgress(quiet: boolean): TsbdEmitter {
  const events = new TsbdEmitter();
  if (quiet) return events;
  let bar: SingleBar | undefined;
  const stopBar = (): void => {
    bar?.stop();
    bar = undefined;
  };
  events.on('epochEnd', (phase: Phase, epoch, maxEpochs, loss, acc) => {
    if (!process.stderr.isTTY) return;
    if (bar === undefined) {
      bar = new SingleBar(
        { stream: process.stderr, format: `${phase.padEnd(8)} [{bar}] {value}/{total} loss {loss} clean acc {acc}`, hideCursor: true },
        Presets.shades_classic,
      );
      // Unlearning stops early by its own rule; its bar shows epochs run against the cap.
      bar.start(maxEpochs, 0, { loss: '-', acc: '-' });
    }
    bar.update(epoch, { loss: loss.toFixed(3), acc: acc.toFixed(3) });
  });
  events.on('phaseStart', () => stopBar());
  events.on('phaseEnd', (phase, seconds) => {
    stopBar();
    process.stderr.write(`tsbd: ${phase} done in ${seconds.toFixed(1)} s\n`);
  });
  events.on('fractionProbe', (n, acc, cost, ok) =>
    process.stderr.write(
      n === 0
        ? `tsbd: n=0 (control): held-out clean acc ${acc.toFixed(3)}\n`
        : `tsbd: n=${n}: held-out clean acc ${acc.toFixed(3)}, cost ${cost.toFixed(3)} ${ok ? 'accepted' : 'rejected'}\n`,
    ),
  );
  events.on('reinitialized', (n, neurons, weights) =>
    process.stderr.write(`tsbd: n=${n}: zeroed ${weights} weights in ${neurons} neurons\n`),
  );
  events.on('classInverted', (cls, l1) =>
    process.stderr.write(`tsbd: invert class ${cls}: ${Number.isNaN(l1) ? 'no mask found' : `smallest mask ${l1.toFixed(1)} px`}\n`),
  );
  events.on('warning', (message) => process.stderr.write(`tsbd: warning: ${message}\n`));
  return events;
}

/** Writes a progress line to stderr unless quiet. */
export function logLine(quiet: boolean, message: string): void {
  if (!quiet) process.stderr.write(`tsbd: ${message}\n`);
}
