import { fork, type ChildProcess } from 'node:child_process';
import type { Cell } from './cell';

/** A message from a cell process: it is ready for cells, or the cell `hash` ended with a record written (ok) or an error. */
export type CellReply = { ready: true } | { hash: string; ok: boolean; error?: string };

/**
 * A child process that runs cells: `node SCRIPT --backend B worker --ipc --out OUT` (the built CLI), one cell at a
 * time, each record written by the child under OUT. Processes, not worker threads: each has its own tfjs backend
 * and memory, a crash (out of memory, a native abort) takes down only its cell, and the parent's event loop stays
 * free while tfjs trains, which a BullMQ worker needs to renew its job locks (tfjs' fit does not yield to timers).
 */
export class CellProcess {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private stderr = '';
  private current: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private exited: string | undefined;

  constructor(script: string, backend: string, out: string) {
    this.child = fork(script, ['--backend', backend, 'worker', '--ipc', '--out', out], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr?.on('data', (d: Buffer) => void (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: CellReply) => {
        if (!('hash' in m)) return resolve();
        const job = this.current;
        this.current = undefined;
        if (m.ok) job?.resolve();
        else job?.reject(new Error(m.error ?? 'the cell failed'));
      });
      this.child.on('exit', (code, signal) => {
        this.exited = `cell process exited (${signal ?? `code ${code}`}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
        reject(new Error(this.exited));
        this.current?.reject(new Error(this.exited));
        this.current = undefined;
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Whether the child is still running. */
  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Runs `cell` in the child; resolves once its record is written, rejects with the child's error or its exit. */
  async run(cell: Cell): Promise<void> {
    await this.ready;
    if (this.exited !== undefined) throw new Error(this.exited);
    return new Promise((resolve, reject) => {
      this.current = { resolve, reject };
      this.child.send({ cell });
    });
  }

  /** Lets the child finish and exit (it ends after its current cell). */
  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
