import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { deadLetterFromBody } from '../../functions/adapters/dead-letter-entry';
import { ValidationError } from '../../functions/core/errors';
import type {
  DeadLetterPage,
  DeadLetterQueue,
  RedriveResult,
  RedriveSelection,
} from '../../functions/ports/dead-letters';
import { errorCode } from '../../functions/shared/error-code';
import { jsonLine, readJsonLines } from '../../functions/shared/json-lines';
import { appendWriter, type FileWriter, LineFile } from './line-file';
import type { SpooledMessage } from './spool';

/** One line of the local dead-letter file: the spooled message, when and why it was dead-lettered. */
export interface DeadLetterRecord extends SpooledMessage {
  deadLetteredAt: string;
  /** The last error the router saw for it. */
  reason?: string;
}

function isRecord(value: unknown): value is DeadLetterRecord {
  const r = value as DeadLetterRecord;
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.body === 'string';
}

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) return o;
  } catch {
    // falls through to the error below
  }
  throw new ValidationError('cursor is not one this API issued; pass back nextCursor unchanged, or omit it');
}

/**
 * The local dead-letter queue, a JSON-lines file. Appends, listings and redrives run one at a time, so a redrive's
 * rewrite of the file never races an append.
 */
export class DeadLetterFile {
  private readonly file: LineFile;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log: (line: string) => void = () => undefined,
    writer: FileWriter = appendWriter,
  ) {
    this.file = new LineFile(path, writer);
  }

  append(record: DeadLetterRecord): Promise<void> {
    return this.exclusive(() => this.file.append(record));
  }

  /** Records from `offset` on, `limit` at most, and how many the file holds. */
  list(limit: number, offset: number): Promise<{ records: DeadLetterRecord[]; total: number }> {
    return this.exclusive(async () => {
      const records: DeadLetterRecord[] = [];
      let total = 0;
      for await (const r of this.records()) {
        if (total >= offset && records.length < limit) records.push(r);
        total++;
      }
      return { records, total };
    });
  }

  /**
   * Hands the selected records to `requeue`, and only once it has resolved removes them from the file (written to a
   * temporary file, then renamed over it, so the file is never half-rewritten). A crash in between leaves a message
   * both requeued and dead-lettered, never in neither.
   */
  take(
    selection: RedriveSelection,
    requeue: (records: DeadLetterRecord[]) => Promise<void>,
  ): Promise<RedriveResult> {
    return this.exclusive(async () => {
      const wanted = 'ids' in selection ? new Set(selection.ids) : undefined;
      const taken: DeadLetterRecord[] = [];
      for await (const r of this.records()) if (!wanted || wanted.has(r.id)) taken.push(r);
      const notFound = wanted ? [...wanted].filter((id) => !taken.some((r) => r.id === id)) : [];
      if (taken.length === 0) return { moved: 0, notFound };
      await requeue(taken);
      const movedIds = new Set(taken.map((r) => r.id));
      const tmp = `${this.path}.tmp`;
      const out = createWriteStream(tmp, { encoding: 'utf8' });
      for await (const r of this.records()) {
        if (!movedIds.has(r.id) && !out.write(jsonLine(r))) {
          await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        }
      }
      out.end();
      await finished(out);
      await rename(tmp, this.path);
      return { moved: taken.length, notFound };
    });
  }

  private async *records(): AsyncGenerator<DeadLetterRecord> {
    try {
      for await (const value of readJsonLines(this.path, (line) => this.log(`spool: ${line}`)))
        if (isRecord(value)) yield value;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** `DeadLetterQueue` over the local dead-letter file; redriven messages go back through `requeue`. */
export class LocalDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly file: DeadLetterFile,
    private readonly requeue: (messages: SpooledMessage[]) => Promise<void>,
  ) {}

  async list(limit: number, cursor?: string): Promise<DeadLetterPage> {
    const offset = cursor === undefined ? 0 : decodeCursor(cursor);
    const { records, total } = await this.file.list(limit, offset);
    const page: DeadLetterPage = {
      items: records.map((r) =>
        deadLetterFromBody(r.body, {
          id: r.id,
          deadLetteredAt: r.deadLetteredAt,
          receiveCount: r.receiveCount,
          ...(r.reason === undefined ? {} : { reason: r.reason }),
        }),
      ),
      total,
    };
    if (offset + records.length < total) page.cursor = encodeCursor(offset + records.length);
    return page;
  }

  redrive(selection: RedriveSelection): Promise<RedriveResult> {
    return this.file.take(selection, (records) =>
      this.requeue(records.map(({ id, body, sentAt }) => ({ id, body, sentAt, receiveCount: 0 }))),
    );
  }
}
