import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../functions/shared/error-code';
import { readJsonLines } from '../../functions/shared/json-lines';
import { appendWriter, type FileWriter, isNoSpace, LineFile } from './line-file';

/** One message the router holds: the SQS message it stands in for. */
export interface SpooledMessage {
  id: string;
  body: string;
  sentAt: number;
  receiveCount: number;
}

/** Default size at which the spool starts a new segment file. */
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/** The spool's append failed for want of disk space: the message is not held, so it must not be acknowledged. */
export class SpoolFullError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `disk full (${errorCode(cause)}) writing the spool ${path}: message not accepted, ` +
        'the device will send it again; free space under DATA_DIR',
    );
    this.name = 'SpoolFullError';
  }
}

export interface SpoolOptions {
  /** Folder of the segment files (`seg-<n>.jsonl`). */
  dir: string;
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytes?: number;
  writer?: FileWriter;
  log?: (line: string) => void;
}

interface Segment {
  file: LineFile;
  /** Messages of this segment not yet marked done. */
  pending: number;
}

const SEGMENT = /^seg-(\d{10})\.jsonl$/;
const segmentName = (n: number) => `seg-${String(n).padStart(10, '0')}.jsonl`;

function isMessage(value: unknown): value is SpooledMessage {
  const m = value as SpooledMessage;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.id === 'string' &&
    typeof m.body === 'string' &&
    typeof m.sentAt === 'number'
  );
}

/**
 * The router's on-disk spool: messages are appended to the current segment file, and a message's "done" marker (its
 * id as a JSON string) is appended to the segment that holds the message, so a segment can be read on its own. A
 * segment is started afresh once the current one reaches `segmentBytes`, and a closed segment is deleted as soon as
 * all its messages are done, which keeps the spool on disk to about the size of the backlog plus one segment.
 */
export class SegmentSpool {
  private readonly segments = new Map<number, Segment>();
  /** Segment of every message not yet done. */
  private readonly location = new Map<string, number>();
  private active = 0;
  /** Deletions of reclaimed segments under way. */
  private readonly reclaiming = new Set<Promise<void>>();
  private readonly segmentBytes: number;
  private readonly writer: FileWriter;
  private readonly log: (line: string) => void;
  /** Reports a line `readJsonLines` skipped, under the spool's name. */
  private readonly skipped = (line: string) => this.log(`spool: ${line}`);

  constructor(private readonly options: SpoolOptions) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.writer = options.writer ?? appendWriter;
    this.log = options.log ?? (() => undefined);
  }

  /** Segment files now on disk (or about to be), oldest first. */
  get segmentFiles(): string[] {
    return [...this.segments.keys()].sort((a, b) => a - b).map((n) => join(this.options.dir, segmentName(n)));
  }

  /**
   * Reads every segment left by an earlier run (and the single-file spool of older versions), deletes the ones whose
   * messages are all done, and returns the messages still pending, oldest first. New messages go to a fresh segment.
   */
  async open(): Promise<SpooledMessage[]> {
    await mkdir(this.options.dir, { recursive: true });
    const numbers = (await readdir(this.options.dir))
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const recovered: SpooledMessage[] = [];
    for (const n of numbers) {
      const path = join(this.options.dir, segmentName(n));
      const pending = new Map<string, SpooledMessage>();
      for await (const record of readJsonLines(path, this.skipped)) {
        if (typeof record === 'string') pending.delete(record);
        else if (isMessage(record)) pending.set(record.id, { ...record, receiveCount: 0 });
        else this.log(`spool: skipped a record that is not a message in ${path}`);
      }
      if (pending.size === 0) {
        await unlinkIfThere(path);
        continue;
      }
      this.segments.set(n, { file: new LineFile(path, this.writer), pending: pending.size });
      for (const m of pending.values()) {
        this.location.set(m.id, n);
        recovered.push(m);
      }
    }
    this.active = (numbers.at(-1) ?? 0) + 1;
    return recovered;
  }

  /**
   * Prepares to append only, without reading the segments (for a command run while the runtime is stopped): new
   * messages go to a fresh segment that the next start reads like any other.
   */
  async openForAppend(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const numbers = (await readdir(this.options.dir))
      .map((name) => Number(SEGMENT.exec(name)?.[1] ?? 0))
      .filter((n) => n > 0);
    this.active = Math.max(0, ...numbers) + 1;
  }

  /**
   * Re-spools the pending messages of the single-file spool (`spool.jsonl` + `done.jsonl`) an older version left in
   * `legacyDir`, then deletes those files. Returns the messages, now held by this spool.
   */
  async adoptLegacy(legacyDir: string): Promise<SpooledMessage[]> {
    const spoolPath = join(legacyDir, 'spool.jsonl');
    const donePath = join(legacyDir, 'done.jsonl');
    const done = new Set<string>();
    try {
      for await (const id of readJsonLines(donePath, this.skipped)) if (typeof id === 'string') done.add(id);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    const adopted: SpooledMessage[] = [];
    try {
      for await (const record of readJsonLines(spoolPath, this.skipped)) {
        if (!isMessage(record) || done.has(record.id)) continue;
        const m = { ...record, receiveCount: 0 };
        await this.add(m);
        adopted.push(m);
      }
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return [];
      throw err;
    }
    // Deleted only once every pending message is in a segment: a crash before this re-adopts (duplicates, never loss).
    await unlinkIfThere(spoolPath);
    await unlinkIfThere(donePath);
    return adopted;
  }

  /** Appends a message; rejects with `SpoolFullError` when the disk is full (the message is then not held). */
  async add(message: SpooledMessage): Promise<void> {
    let segment = this.segments.get(this.active);
    if (segment && segment.file.bytesAppended >= this.segmentBytes) {
      const closed = this.active;
      this.active++;
      segment = undefined;
      this.reclaimIfDone(closed);
    }
    if (!segment) {
      segment = {
        file: new LineFile(join(this.options.dir, segmentName(this.active)), this.writer),
        pending: 0,
      };
      this.segments.set(this.active, segment);
    }
    const n = this.active;
    // Counted before the write completes, so a roll meanwhile cannot reclaim the segment under this write.
    segment.pending++;
    try {
      await segment.file.append(message);
    } catch (err) {
      segment.pending--;
      this.reclaimIfDone(n);
      if (isNoSpace(err)) throw new SpoolFullError(segment.file.path, err);
      throw err;
    }
    this.location.set(message.id, n);
  }

  /**
   * Marks a message done (ingested or dead-lettered). A done marker that cannot be written (disk full) is reported
   * and otherwise ignored: the message is then delivered once more after a restart, which the idempotent writes of
   * ingest make harmless.
   */
  async markDone(id: string): Promise<void> {
    const n = this.location.get(id);
    if (n === undefined) return;
    this.location.delete(id);
    const segment = this.segments.get(n);
    if (!segment) return;
    try {
      await segment.file.append(id);
    } catch (err) {
      if (!isNoSpace(err)) throw err;
    } finally {
      segment.pending--;
      this.reclaimIfDone(n);
    }
  }

  /** Waits for every write and segment deletion issued so far (used before a clean stop). */
  async settled(): Promise<void> {
    for (const s of this.segments.values()) await s.file.settled();
    while (this.reclaiming.size > 0) await Promise.all(this.reclaiming);
  }

  private reclaimIfDone(n: number): void {
    const segment = this.segments.get(n);
    if (!segment || segment.pending > 0 || n === this.active) return;
    this.segments.delete(n);
    const deletion = segment.file
      .settled()
      .then(() => unlinkIfThere(segment.file.path))
      .catch((err: Error) => this.log(`spool: could not delete ${segment.file.path}: ${err.message}`))
      .finally(() => this.reclaiming.delete(deletion));
    this.reclaiming.add(deletion);
  }
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}
