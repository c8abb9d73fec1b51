import { Presets, SingleBar } from 'cli-progress';

/**
 * One progress bar over a grid run on stderr: cells done, failed and remaining, and the time left estimated from
 * the cells ended so far (elapsed / ended × remaining). Without a terminal (CI logs) a line per ended cell instead.
 */
export class GridProgress {
  private readonly bar: SingleBar | undefined;
  private readonly start = Date.now();
  private done = 0;
  private failed = 0;

  /** `total`: cells to run now; `skipped`: cells of the grid whose record exists already. */
  constructor(
    private readonly total: number,
    skipped: number,
    private readonly quiet: boolean,
  ) {
    if (quiet) return;
    process.stderr.write(`tsbd: bench: ${total} cells to run, ${skipped} already done\n`);
    if (process.stderr.isTTY) {
      this.bar = new SingleBar(
        { stream: process.stderr, format: 'bench [{bar}] {value}/{total} cells | done {done} | failed {failed} | remaining {remaining} | ETA {left}', hideCursor: true },
        Presets.shades_classic,
      );
      this.bar.start(total, 0, this.payload());
    }
  }

  private payload(): { done: number; failed: number; remaining: number; left: string } {
    const ended = this.done + this.failed;
    const remaining = this.total - ended;
    const left = ended === 0 ? '?' : `${Math.round((((Date.now() - this.start) / 1000) * remaining) / ended)} s`;
    return { done: this.done, failed: this.failed, remaining, left };
  }

  /** Counts a cell that ended, failed when `error` is set. */
  cellEnded(hash: string, error: string | undefined): void {
    if (error === undefined) this.done++;
    else this.failed++;
    if (this.quiet) return;
    const p = this.payload();
    if (this.bar !== undefined) {
      this.bar.update(this.done + this.failed, p);
      if (error !== undefined) process.stderr.write(`\ntsbd: cell ${hash} failed: ${error}\n`);
      return;
    }
    process.stderr.write(`tsbd: cell ${hash} ${error === undefined ? 'done' : `failed: ${error}`}; ${p.done} done, ${p.failed} failed, ${p.remaining} remaining, ETA ${p.left}\n`);
  }

  /** Ends the bar. */
  stop(): void {
    this.bar?.stop();
  }
}
