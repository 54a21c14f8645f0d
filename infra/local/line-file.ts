import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Appends JSON lines to a file, coalescing the lines written in the same tick into one write. `append` resolves once
 * the line is in the file (not fsynced: a process crash keeps it, a power loss may not).
 */
export class LineFile {
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private ready: Promise<unknown>;

  constructor(readonly path: string) {
    this.ready = mkdir(dirname(path), { recursive: true });
  }

  append(value: unknown): Promise<void> {
    this.pending.push(`${JSON.stringify(value)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) this.flushing = Promise.resolve().then(() => this.flush());
    return done;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.ready;
        await appendFile(this.path, lines, 'utf8');
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.flushing = undefined;
  }
}
