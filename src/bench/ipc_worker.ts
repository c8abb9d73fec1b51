import { BenchData } from './bench_data';
import type { Cell } from './cell';
import type { CellReply } from './cell_process';
import { writeRecordOnce } from './record';
import { runCell } from './run_cell';

/**
 * The child side of {@link CellProcess}: runs each cell the parent sends, one at a time, writes its record, and replies.
 * Resolves once the parent disconnects and the last cell has ended.
 */
export function serveIpc(out: string, log: (line: string) => void): Promise<void> {
  const send = (m: CellReply): void => void process.send?.(m);
  const env = { out, data: new BenchData(), log };
  let chain = Promise.resolve();
  return new Promise((resolve) => {
    process.on('message', (m: { cell: Cell }) => {
      chain = chain.then(async () => {
        try {
          writeRecordOnce(out, await runCell(m.cell, env));
          send({ hash: m.cell.hash, ok: true });
        } catch (e) {
          send({ hash: m.cell.hash, ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      });
    });
    process.on('disconnect', () => void chain.then(resolve));
    send({ ready: true });
  });
}
