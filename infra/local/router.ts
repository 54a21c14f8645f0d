import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { INGEST_QUEUE, type IngestEnvelope, TELEMETRY_RULES } from '../wiring';
import { LineFile } from './line-file';
import { topicMatches } from './mqtt-match';

interface QueuedMessage {
  id: string;
  body: string;
  sentAt: number;
  receiveCount: number;
}

export interface RouterStats {
  received: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  batches: number;
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
  log?: (line: string) => void;
}

/**
 * Stands in for IoT rule → SQS → event-source mapping: takes the messages whose topic matches the rules' filters,
 * wraps each in the rule's envelope, and hands the ingest function batches of the same size and window as the cloud.
 * Messages are spooled to disk before the broker acknowledges them, so a restart loses nothing; a message that fails
 * `maxReceiveCount` times goes to `dlq.jsonl`.
 */
export class LocalIngestRouter {
  readonly stats: RouterStats = { received: 0, delivered: 0, retried: 0, deadLettered: 0, batches: 0 };
  readonly dlqPath: string;
  private readonly spool: LineFile;
  private readonly done: LineFile;
  private readonly dlq: LineFile;
  private readonly queue: QueuedMessage[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private windowTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maxReceiveCount: number;
  private readonly concurrency: number;
  private readonly retryDelayMs: (n: number) => number;

  constructor(private readonly options: RouterOptions) {
    this.batchSize = options.batchSize ?? INGEST_QUEUE.batchSize;
    this.windowMs = options.maxBatchingWindowMs ?? INGEST_QUEUE.maxBatchingWindowS * 1000;
    this.maxReceiveCount = options.maxReceiveCount ?? INGEST_QUEUE.maxReceiveCount;
    this.concurrency = options.concurrency ?? 2;
    this.retryDelayMs =
      options.retryDelayMs ?? ((n) => Math.min(INGEST_QUEUE.visibilityTimeoutS * 1000, 1000 * 2 ** (n - 1)));
    this.spool = new LineFile(join(options.dir, 'spool.jsonl'));
    this.done = new LineFile(join(options.dir, 'done.jsonl'));
    this.dlq = new LineFile(join(options.dir, 'dlq.jsonl'));
    this.dlqPath = this.dlq.path;
  }

  /** Whether a topic is one the telemetry rules select. */
  static routes(topic: string): boolean {
    return TELEMETRY_RULES.some((r) => topicMatches(r.topicFilter, topic));
  }

  /** Re-queues what an earlier run accepted but did not finish, and compacts the spool. Returns how many. */
  async recover(): Promise<number> {
    await mkdir(this.options.dir, { recursive: true });
    const read = async (name: string) => {
      try {
        return (await readFile(join(this.options.dir, name), 'utf8')).split('\n').filter(Boolean);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    };
    const finished = new Set((await read('done.jsonl')).map((l) => JSON.parse(l) as string));
    const pending = (await read('spool.jsonl'))
      .map((l) => JSON.parse(l) as QueuedMessage)
      .filter((m) => !finished.has(m.id));
    const tmp = join(this.options.dir, 'spool.jsonl.tmp');
    await writeFile(tmp, pending.map((m) => `${JSON.stringify(m)}\n`).join(''), 'utf8');
    await rename(tmp, join(this.options.dir, 'spool.jsonl'));
    await writeFile(join(this.options.dir, 'done.jsonl'), '', 'utf8');
    for (const m of pending) this.enqueue(m);
    return pending.length;
  }

  /** Accepts one MQTT message; resolves once it is spooled (then the broker may acknowledge it). */
  async accept(
    topic: string,
    payload: Buffer,
    clientId: string | undefined,
    receivedAt: number,
  ): Promise<void> {
    const envelope: IngestEnvelope = { payload: payload.toString('base64'), topic, receivedAt };
    if (clientId !== undefined) envelope.clientId = clientId;
    const message: QueuedMessage = {
      id: randomUUID(),
      body: JSON.stringify(envelope),
      sentAt: receivedAt,
      receiveCount: 0,
    };
    await this.spool.append(message);
    this.stats.received++;
    this.enqueue(message);
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
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
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
      this.deliver(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length >= this.batchSize) this.pump();
        else if (this.queue.length > 0) this.windowTimer ??= setTimeout(() => this.pump(), this.windowMs);
        this.notifyIdle();
      });
    }
  }

  private async deliver(batch: QueuedMessage[]): Promise<void> {
    this.stats.batches++;
    const now = Date.now();
    for (const m of batch) m.receiveCount++;
    let failed: Set<string>;
    try {
      const response = await this.options.invoke({ Records: batch.map((m) => toSqsRecord(m, now)) });
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      this.options.log?.(`ingest batch of ${batch.length} failed: ${(err as Error).message}`);
      failed = new Set(batch.map((m) => m.id));
    }
    for (const m of batch) {
      if (!failed.has(m.id)) {
        this.stats.delivered++;
        await this.done.append(m.id);
      } else if (m.receiveCount >= this.maxReceiveCount) {
        this.stats.deadLettered++;
        await this.dlq.append({ ...m, deadLetteredAt: new Date().toISOString() });
        await this.done.append(m.id);
        this.options.log?.(`message ${m.id} failed ${m.receiveCount} times; moved to ${this.dlqPath}`);
      } else {
        this.stats.retried++;
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          this.enqueue(m);
          this.notifyIdle();
        }, this.retryDelayMs(m.receiveCount));
        this.retryTimers.add(timer);
      }
    }
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
