import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode } from '../../functions/shared/error-code';
import { jsonLine } from '../../functions/shared/json-lines';

/** Appends text to a file; the default is `fs.appendFile`. Tests inject one that fails as a full disk does. */
export type FileWriter = (path: string, data: string) => Promise<void>;

export const appendWriter: FileWriter = (path, data) => appendFile(path, data, 'utf8');

/** Error codes of a write refused for want of space: a full device, or a user's disk quota. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** Whether an error is a write refused because the disk (or the quota) is full. */
export function isNoSpace(err: unknown): boolean {
  return NO_SPACE.has(errorCode(err) ?? '');
}

/**
 * Appends JSON lines to a file, coalescing the lines written in the same tick into one write. `append` resolves once
 * the line is in the file (not fsynced: a process crash keeps it, a power loss may not), and rejects with the write's
 * error (e.g. `ENOSPC`) when it is not.
 */
export class LineFile {
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private ready: Promise<unknown>;
  /** A failed write may have left a torn fragment; the next write starts a fresh line so it cannot absorb it. */
  private torn = false;
  /** Bytes this instance has written (or queued) since it was created. */
  bytesAppended = 0;

  constructor(
    readonly path: string,
    private readonly write: FileWriter = appendWriter,
  ) {
    this.ready = mkdir(dirname(path), { recursive: true });
  }

  append(value: unknown): Promise<void> {
    const line = jsonLine(value);
    this.bytesAppended += Buffer.byteLength(line);
    this.pending.push(line);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) this.flushing = Promise.resolve().then(() => this.flush());
    return done;
  }

  /** Resolves once every line appended so far has been written (or has failed). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = (this.torn ? '\n' : '') + this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.ready;
        await this.write(this.path, lines);
        this.torn = false;
        for (const w of waiters) w.resolve();
      } catch (err) {
        this.torn = true;
        for (const w of waiters) w.reject(err);
      }
    }
    this.flushing = undefined;
  }
}
