import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { INGEST_QUEUE, type IngestEnvelope, TELEMETRY_RULES } from '../../functions/contract';
import type { IngestRequeue } from '../../functions/ports/ingest-requeue';
import { FUNCTIONS } from '../wiring';
import { DeadLetterFile, LocalDeadLetterQueue } from './dead-letter-file';
import { FunctionTimeoutError, withTimeout } from './function-timeout';
import type { FileWriter } from './line-file';
import { topicMatches } from './mqtt-match';
import { SegmentSpool, type SpooledMessage, SpoolFullError } from './spool';

type QueuedMessage = SpooledMessage & { lastError?: string };

/** Messages held (queued, in flight, waiting for a retry) above which `accept` waits. */
export const DEFAULT_MAX_BACKLOG = 5_000;

/** Seconds over which the drain rate is averaged. */
const DRAIN_WINDOW_S = 10;

/** Where a router whose folder is `dir` keeps its spool segments and its dead letters. */
export function routerFiles(dir: string): { spoolDir: string; dlqFile: string } {
  return { spoolDir: join(dir, 'spool'), dlqFile: join(dir, 'dlq.jsonl') };
}

export interface RouterStats {
  received: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  batches: number;
  /** Batches failed because the ingest invocation ran past FUNCTIONS.ingest.timeoutS. */
  timedOut: number;
  /** Messages refused because the spool could not be written (disk full); the broker did not acknowledge them. */
  refusedDiskFull: number;
  /** Messages held now: queued, in flight and waiting for a retry. */
  backlog: number;
  peakBacklog: number;
  maxBacklog: number;
  /** Publishes held unacknowledged now because the backlog is at its bound. */
  waitingAccepts: number;
  /** Messages finished (ingested or dead-lettered) per second over the last 10 s. */
  drainRatePerS: number;
  /** Spool segment files on disk. */
  spoolSegments: number;
}

export interface RouterOptions {
  /** Folder for the spool (accepted, not yet ingested) and the dead-letter file. */
  dir: string;
  /** The ingest function, called with SQS-shaped events. */
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  batchSize?: number;
  maxBatchingWindowMs?: number;
  maxReceiveCount?: number;
  /** Delay before a failed message is delivered again; SQS waits for the visibility timeout. */
  retryDelayMs?: (receiveCount: number) => number;
  /** Batches in flight at once, as the event source runs several function instances. */
  concurrency?: number;
  /** Backlog above which `accept` waits, so the broker holds its acknowledgement. Default DEFAULT_MAX_BACKLOG. */
  maxBacklog?: number;
  /** An invocation running longer fails its whole batch. Default FUNCTIONS.ingest.timeoutS. */
  timeoutMs?: number;
  /** Size at which the spool starts a new segment file. */
  segmentBytes?: number;
  /** Writes to the spool and dead-letter files (tests inject a failing one). */
  writer?: FileWriter;
  log?: (line: string) => void;
}

/**
 * Stands in for IoT rule → SQS → event-source mapping: takes the messages whose topic matches the rules' filters,
 * wraps each in the rule's envelope, and hands the ingest function batches of the same size and window as the cloud.
 * Messages are spooled to disk before the broker acknowledges them, so a restart loses nothing; a message that fails
 * `maxReceiveCount` times goes to `dlq.jsonl`. While the backlog is at `maxBacklog`, `accept` waits, which holds the
 * broker's acknowledgement and so slows the publishers down instead of filling memory.
 */
export class LocalIngestRouter implements IngestRequeue {
  readonly dlqPath: string;
  /** The dead-letter queue port over this router's dead-letter file; redrive re-enqueues through this router. */
  readonly deadLetters: LocalDeadLetterQueue;
  private readonly counts = {
    received: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    batches: 0,
    timedOut: 0,
    refusedDiskFull: 0,
  };
  private readonly spool: SegmentSpool;
  private readonly dlq: DeadLetterFile;
  private readonly queue: QueuedMessage[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private windowTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private inFlightMessages = 0;
  /** Accepts past the backlog check whose spool write is still under way: counted so they cannot overshoot. */
  private accepting = 0;
  private peakBacklog = 0;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly drained: { at: number; n: number }[] = [];
  /** Messages refused since the spool last failed; the failure is logged once per burst, not per message. */
  private diskFullBurst = 0;
  private stopped = false;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maxReceiveCount: number;
  private readonly concurrency: number;
  private readonly maxBacklog: number;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: (n: number) => number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: RouterOptions) {
    this.batchSize = options.batchSize ?? INGEST_QUEUE.batchSize;
    this.windowMs = options.maxBatchingWindowMs ?? INGEST_QUEUE.maxBatchingWindowS * 1000;
    this.maxReceiveCount = options.maxReceiveCount ?? INGEST_QUEUE.maxReceiveCount;
    this.concurrency = options.concurrency ?? 2;
    this.maxBacklog = options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.timeoutMs = options.timeoutMs ?? FUNCTIONS.ingest.timeoutS * 1000;
    this.retryDelayMs =
      options.retryDelayMs ?? ((n) => Math.min(INGEST_QUEUE.visibilityTimeoutS * 1000, 1000 * 2 ** (n - 1)));
    this.log = options.log ?? (() => undefined);
    this.spool = new SegmentSpool({
      dir: routerFiles(options.dir).spoolDir,
      segmentBytes: options.segmentBytes,
      writer: options.writer,
      log: this.log,
    });
    this.dlq = new DeadLetterFile(routerFiles(options.dir).dlqFile, this.log, options.writer);
    this.dlqPath = this.dlq.path;
    this.deadLetters = new LocalDeadLetterQueue(this.dlq, (messages) => this.requeueSpooled(messages));
  }

  /** Counters, the backlog and the drain rate, as of now. */
  get stats(): RouterStats {
    return {
      ...this.counts,
      backlog: this.backlog,
      peakBacklog: this.peakBacklog,
      maxBacklog: this.maxBacklog,
      waitingAccepts: this.roomWaiters.length,
      drainRatePerS: this.drainRate(),
      spoolSegments: this.spool.segmentFiles.length,
    };
  }

  /** Spool segment files now on disk, oldest first. */
  get spoolFiles(): string[] {
    return this.spool.segmentFiles;
  }

  /** Whether a topic is one the telemetry rules select. */
  static routes(topic: string): boolean {
    return TELEMETRY_RULES.some((r) => topicMatches(r.topicFilter, topic));
  }

  /**
   * Re-queues what an earlier run accepted but did not finish (read as a stream, segment by segment; a torn record is
   * skipped and logged), and takes over the single-file spool of older versions. Returns how many.
   */
  async recover(): Promise<number> {
    const pending = await this.spool.open();
    const adopted = await this.spool.adoptLegacy(this.options.dir);
    for (const m of [...pending, ...adopted]) this.enqueue(m);
    this.noteBacklog();
    return pending.length + adopted.length;
  }

  /**
   * Accepts one MQTT message; resolves once it is spooled (then the broker may acknowledge it). Waits first while the
   * backlog is at its bound. Rejects with SpoolFullError when the disk is full, so the broker does not acknowledge.
   */
  async accept(
    topic: string,
    payload: Buffer,
    clientId: string | undefined,
    receivedAt: number,
  ): Promise<void> {
    while (!this.stopped && this.backlog + this.accepting >= this.maxBacklog) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.stopped) throw new Error('the local router is stopping; message not accepted');
    const envelope: IngestEnvelope = { payload: payload.toString('base64'), topic, receivedAt };
    if (clientId !== undefined) envelope.clientId = clientId;
    const message: QueuedMessage = {
      id: randomUUID(),
      body: JSON.stringify(envelope),
      sentAt: receivedAt,
      receiveCount: 0,
    };
    this.accepting++;
    try {
      await this.spool.add(message);
    } catch (err) {
      if (err instanceof SpoolFullError) this.noteDiskFull(err);
      throw err;
    } finally {
      this.accepting--;
    }
    if (this.diskFullBurst > 0) {
      this.log(`spool writable again; ${this.diskFullBurst} messages were refused while the disk was full`);
      this.diskFullBurst = 0;
    }
    this.counts.received++;
    this.enqueue(message);
    this.noteBacklog();
  }

  /** Resolves when nothing is queued, waiting for retry, or in flight. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops delivering; what is still queued stays in the spool for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.windowTimer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.wakeAccepts(Number.POSITIVE_INFINITY);
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    await this.spool.settled();
  }

  /** Messages held: queued, in flight, and waiting for a retry (one timer each). */
  private get backlog(): number {
    return this.queue.length + this.inFlightMessages + this.retryTimers.size;
  }

  /**
   * Takes back what an ingest invocation deferred, as new messages (new ids, receive count 0), as SendMessage on the
   * ingest queue does in the cloud. They are spooled before this resolves, so a restart loses none.
   */
  async requeue(bodies: readonly string[]): Promise<void> {
    const now = Date.now();
    await this.requeueSpooled(
      bodies.map((body) => ({ id: randomUUID(), body, sentAt: now, receiveCount: 0 })),
    );
  }

  /** Spools messages again and queues them as new deliveries (receive count 0): redriven dead letters, deferrals. */
  private async requeueSpooled(messages: SpooledMessage[]): Promise<void> {
    for (const m of messages) await this.spool.add(m);
    for (const m of messages) this.enqueue(m);
    this.noteBacklog();
  }

  private noteDiskFull(err: SpoolFullError): void {
    this.counts.refusedDiskFull++;
    if (this.diskFullBurst++ === 0)
      this.log(`${err.message} (logged once until the spool is writable again)`);
  }

  private noteBacklog(): void {
    this.peakBacklog = Math.max(this.peakBacklog, this.backlog);
  }

  private drainRate(): number {
    const since = Date.now() - DRAIN_WINDOW_S * 1000;
    while (this.drained.length > 0 && (this.drained[0]?.at ?? 0) < since) this.drained.shift();
    return this.drained.reduce((sum, d) => sum + d.n, 0) / DRAIN_WINDOW_S;
  }

  /** Lets waiting accepts re-check the bound, as many as there is room for. */
  private wakeAccepts(room: number): void {
    const woken = this.roomWaiters.splice(0, Math.max(0, room));
    for (const w of woken) w();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0 && this.retryTimers.size === 0;
  }

  private enqueue(message: QueuedMessage): void {
    if (this.stopped) return;
    this.queue.push(message);
    if (this.queue.length >= this.batchSize) this.pump();
    else this.windowTimer ??= setTimeout(() => this.pump(), this.windowMs);
  }

  private pump(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    while (!this.stopped && this.inFlight < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      this.inFlight++;
      this.inFlightMessages += batch.length;
      this.deliver(batch)
        .catch((err: Error) => this.log(`router: delivering a batch failed: ${err.message}`))
        .finally(() => {
          this.inFlight--;
          this.inFlightMessages -= batch.length;
          if (this.queue.length >= this.batchSize) this.pump();
          else if (this.queue.length > 0) this.windowTimer ??= setTimeout(() => this.pump(), this.windowMs);
          this.wakeAccepts(this.maxBacklog - this.backlog - this.accepting);
          this.notifyIdle();
        });
    }
  }

  private async deliver(batch: QueuedMessage[]): Promise<void> {
    this.counts.batches++;
    const now = Date.now();
    for (const m of batch) m.receiveCount++;
    let failed: Set<string>;
    let error: string | undefined;
    try {
      // Lambda ends an invocation at its timeout and the event source retries the whole batch; a local invocation
      // that runs late is only abandoned (see withTimeout: its late writes are idempotent).
      const response = await withTimeout(
        this.options.invoke({ Records: batch.map((m) => toSqsRecord(m, now)) }),
        this.timeoutMs,
        'ingest',
      );
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      if (err instanceof FunctionTimeoutError) this.counts.timedOut++;
      error = (err as Error).message;
      this.log(`ingest batch of ${batch.length} failed: ${error}`);
      failed = new Set(batch.map((m) => m.id));
    }
    let finished = 0;
    for (const m of batch) {
      if (!failed.has(m.id)) {
        this.counts.delivered++;
        finished++;
        await this.spool.markDone(m.id);
        continue;
      }
      m.lastError =
        error ?? `ingest reported the message as failed on delivery ${m.receiveCount} (see the ingest log)`;
      if (m.receiveCount >= this.maxReceiveCount) {
        await this.deadLetter(m);
        finished++;
      } else {
        this.counts.retried++;
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          this.enqueue(m);
          this.notifyIdle();
        }, this.retryDelayMs(m.receiveCount));
        this.retryTimers.add(timer);
      }
    }
    this.drained.push({ at: Date.now(), n: finished });
  }

  private async deadLetter(m: QueuedMessage): Promise<void> {
    try {
      await this.dlq.append({
        id: m.id,
        body: m.body,
        sentAt: m.sentAt,
        receiveCount: m.receiveCount,
        deadLetteredAt: new Date().toISOString(),
        ...(m.lastError === undefined ? {} : { reason: m.lastError }),
      });
    } catch (err) {
      // Not written to the dead-letter file: keep it in the spool (no done marker), so the next start retries it.
      this.log(`message ${m.id} could not be dead-lettered (${(err as Error).message}); kept in the spool`);
      return;
    }
    this.counts.deadLettered++;
    await this.spool.markDone(m.id);
    this.log(`message ${m.id} failed ${m.receiveCount} times; moved to ${this.dlqPath}: ${m.lastError}`);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function toSqsRecord(m: QueuedMessage, now: number): SQSRecord {
  return {
    messageId: m.id,
    receiptHandle: `local-${m.id}-${m.receiveCount}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'local-iot-rule',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:pamir-ingest',
    awsRegion: 'local',
  };
}
