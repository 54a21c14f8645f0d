import { createHash } from 'node:crypto';
import { z } from 'zod';
import { INGEST_QUEUE, telemetryTopic } from '../contract';
import { StorageRejectedError } from '../core/errors';
import { type ReadingItem, toReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import { parseTelemetry, type TelemetryMessage } from '../core/telemetry';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { IngestRequeue } from '../ports/ingest-requeue';
import { noMetrics, type ServiceMetrics } from '../ports/metrics';
import type { QuarantineEntry, QuarantineStore } from '../ports/quarantine-store';
import type { ReadingStore } from '../ports/reading-store';
import { mapWithConcurrency } from '../shared/concurrency';
import { logger } from '../shared/logger';

/** One queued message: the SQS message id and body (the IoT rule's envelope). */
export interface IngestRecord {
  messageId: string;
  body: string;
  /** Which delivery this is, from 1 (SQS `ApproximateReceiveCount`); absent is read as the first. */
  attempt?: number;
}

/** A message whose samples are stored, handed to later stages (alarm evaluation). */
export interface StoredMessage {
  messageId: string;
  /** The queue message it first came in (the original's id when it was re-enqueued as deferred); else `messageId`. */
  correlationId?: string;
  device: Device;
  message: TelemetryMessage;
  receivedAt: number;
}

export interface IngestDeps {
  registry: DeviceRegistry;
  readings: ReadingStore;
  quarantine: QuarantineStore;
  retentionDays: number;
  clock: Clock;
  /**
   * Runs after the samples are stored, with every stored message of the batch. Returns the ids of messages whose
   * processing failed and must be retried; storage is idempotent, so a retry is safe.
   */
  afterStore?: (stored: StoredMessage[]) => Promise<Set<string>>;
  /** Deliveries before the queue dead-letters a message; defaults to the ingest queue's redrive policy. */
  maxReceiveCount?: number;
  /** Messages written alone at the same time once a shared write has failed. */
  splitConcurrency?: number;
  /** Counts samples stored and messages quarantined; nothing is counted when absent. */
  metrics?: ServiceMetrics;
  /** How much one invocation takes on; defaults to `INGEST_BUDGET`. */
  budget?: Partial<IngestBudget>;
  /** Time left in this invocation, ms (Lambda's `getRemainingTimeInMillis`); without it only sample bounds apply. */
  remainingMs?: () => number;
  /**
   * Sends deferred messages back to the ingest queue as new messages, so a deferral never counts as a delivery. When
   * absent or failing, deferred messages are reported failed, and SQS counts the receive.
   */
  requeue?: IngestRequeue;
}

/**
 * How much of a batch one ingest invocation takes on. A backfill batch of 100 messages × 100 samples of one device
 * is 10,000 items on one partition of the readings table, which DynamoDB writes at most 1,000 a second: about ten
 * seconds before evaluation, half the function's 20 s timeout. So a batch is worked through in chunks of at most
 * `chunkDeviceSamples` samples per device, no chunk is started with less than `reserveMs` left, and at most
 * `maxDeviceSamples` samples of one device are taken per invocation; the rest is deferred.
 */
export interface IngestBudget {
  /** Samples of one device per chunk (stored, then evaluated, before the next chunk starts). */
  chunkDeviceSamples: number;
  /** Samples of one device per invocation (one partition's write rate bounds how fast they are stored). */
  maxDeviceSamples: number;
  /** A chunk after the first is started only with at least this much of the invocation left, ms. */
  reserveMs: number;
}

/** The ingest function's budget: see {@link IngestBudget}; chosen for FUNCTIONS.ingest.timeoutS = 20. */
export const INGEST_BUDGET: IngestBudget = {
  chunkDeviceSamples: 2_000,
  maxDeviceSamples: 5_000,
  reserveMs: 10_000,
};

/** What became of one record of the batch. */
type MessageOutcome =
  | { messageId: string; status: 'stored'; deviceId: string; topic: string }
  | {
      messageId: string;
      status: 'quarantined';
      deviceId?: string;
      topic: string;
      reason: QuarantineEntry['reason'];
      detail: string;
    }
  | {
      messageId: string;
      status: 'deferred';
      deviceId?: string;
      topic: string;
      /** Sent back to the queue as a new message; else reported failed, for the queue to deliver again. */
      requeued: boolean;
    }
  | {
      messageId: string;
      status: 'retry';
      deviceId?: string;
      topic: string;
      error: string;
      attempt: number;
      /** This was the last delivery: the queue dead-letters the message, and a `dead_lettered` entry records it. */
      lastAttempt: boolean;
    };

export interface IngestResult {
  failedMessageIds: string[];
  storedSamples: number;
  /** Quarantine entries written by this invocation. */
  quarantined: QuarantineEntry[];
  stored: StoredMessage[];
  /** One per record, in input order. */
  outcomes: MessageOutcome[];
}

const envelopeSchema = z.object({
  payload: z.string(),
  topic: z.string(),
  clientId: z.string().optional(),
  // Bounded to what a Date holds, so every later use of the receive time (quarantine day, messages) is safe.
  receivedAt: z.number().int().positive().max(8.64e15),
  // Set only on a deferred message sent back to the queue: the id of the message it first came in.
  correlationId: z.string().min(1).max(128).optional(),
});

function quarantineId(
  topic: string,
  receivedAt: number,
  clientId: string | undefined,
  payload: Uint8Array,
): string {
  return createHash('sha256')
    .update(`${topic}\n${receivedAt}\n${clientId ?? ''}\n`)
    .update(payload)
    .digest('hex')
    .slice(0, 20);
}

/** The parts of a quarantine entry known before a reason is. */
type EntryBase = Omit<QuarantineEntry, 'reason' | 'message'>;

interface Pending {
  record: IngestRecord;
  base: EntryBase;
  deviceId?: string;
  /** Set once a reason to quarantine is known. */
  rejection?: QuarantineEntry;
  accepted?: StoredMessage;
  items?: ReadingItem[];
  /** Set when the message must be retried (transient failure); the text says why. */
  error?: string;
  /** Left for a later invocation: the budget was spent before it was tried. */
  deferred?: boolean;
  /** The parsed rule envelope, kept to re-enqueue a deferred message. */
  envelope?: Record<string, unknown>;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * Ingests one queue batch: validates every message, stores one item per sample for all good messages in shared
 * BatchWriteItem calls, and quarantines bad messages with their raw bytes and a reason. One message never costs
 * another: if a shared write fails, every message is written alone; a message storage refuses for good is
 * quarantined as `storage_rejected`, one that failed for a passing reason is reported for retry, and on its last
 * delivery it is also recorded as `dead_lettered`. A batch larger than the invocation's budget (see
 * {@link IngestBudget}) is worked through in chunks, and what is left is deferred: re-enqueued, never tried.
 */
export async function ingestTelemetry(
  records: readonly IngestRecord[],
  deps: IngestDeps,
): Promise<IngestResult> {
  const maxReceiveCount = deps.maxReceiveCount ?? INGEST_QUEUE.maxReceiveCount;
  const budget = { ...INGEST_BUDGET, ...deps.budget };
  const pending: Pending[] = [];
  for (const record of records) pending.push(await admit(record, deps));

  const quarantined: QuarantineEntry[] = [];
  const stored: StoredMessage[] = [];
  const chunks = planChunks(pending, budget, maxReceiveCount);
  for (const [n, chunk] of chunks.entries()) {
    if (n > 0 && deps.remainingMs && deps.remainingMs() < budget.reserveMs) {
      for (const p of chunks.slice(n).flat()) p.deferred = true;
      break;
    }
    const done = await ingestChunk(chunk, deps, maxReceiveCount);
    quarantined.push(...done.quarantined);
    stored.push(...done.stored);
  }
  const requeued = await requeueDeferred(pending, deps);

  const outcomes = pending.map((p) => outcomeOf(p, maxReceiveCount, requeued));
  const storedSamples = stored.reduce((n, s) => n + s.message.samples.length, 0);
  const metrics = deps.metrics ?? noMetrics;
  metrics.count({ name: 'samplesStored' }, storedSamples);
  for (const q of quarantined) metrics.count({ name: 'messagesQuarantined', reason: q.reason });
  return {
    failedMessageIds: outcomes
      .filter((o) => o.status === 'retry' || (o.status === 'deferred' && !o.requeued))
      .map((o) => o.messageId),
    storedSamples,
    quarantined,
    stored,
    outcomes,
  };
}

/**
 * Splits the batch into chunks of at most `chunkDeviceSamples` samples of any one device, in batch order, and marks
 * deferred what takes a device past `maxDeviceSamples`. Messages without samples to store (quarantined, failed)
 * cost nothing and go with the first chunk. A message on its last delivery is never deferred, so deferral alone
 * can never send it to the dead-letter queue.
 */
function planChunks(pending: readonly Pending[], budget: IngestBudget, maxReceiveCount: number): Pending[][] {
  const chunks: Pending[][] = [[]];
  const inChunk = new Map<string, number>();
  const taken = new Map<string, number>();
  for (const p of pending) {
    const n = p.items?.length ?? 0;
    const device = p.deviceId ?? '';
    if (n === 0) {
      chunks[0]?.push(p);
      continue;
    }
    const total = (taken.get(device) ?? 0) + n;
    if (total > budget.maxDeviceSamples && taken.has(device) && attemptOf(p.record) < maxReceiveCount) {
      p.deferred = true;
      continue;
    }
    taken.set(device, total);
    const current = inChunk.get(device) ?? 0;
    if (current > 0 && current + n > budget.chunkDeviceSamples) {
      chunks.push([]);
      inChunk.clear();
    }
    chunks[chunks.length - 1]?.push(p);
    inChunk.set(device, (inChunk.get(device) ?? 0) + n);
  }
  return chunks;
}

/** Sends the deferred messages back to the queue; returns the ids sent, none when there is no way or it failed. */
async function requeueDeferred(pending: readonly Pending[], deps: IngestDeps): Promise<Set<string>> {
  const deferred = pending.filter((p) => p.deferred);
  if (deferred.length === 0 || !deps.requeue) return new Set();
  try {
    await deps.requeue.requeue(
      deferred.map((p) => JSON.stringify({ ...p.envelope, correlationId: correlationOf(p) })),
    );
    return new Set(deferred.map((p) => p.record.messageId));
  } catch (err) {
    logger.warn('deferred messages not re-enqueued; the queue delivers them again', {
      messages: deferred.length,
      error: err as Error,
    });
    return new Set();
  }
}

/** Stores, quarantines and hands on one chunk of the batch (the whole batch when it fits the budget). */
async function ingestChunk(
  pending: readonly Pending[],
  deps: IngestDeps,
  maxReceiveCount: number,
): Promise<{ quarantined: QuarantineEntry[]; stored: StoredMessage[] }> {
  const rejections = pending.flatMap((p) => (p.rejection ? [p.rejection] : []));
  const writing = pending.filter((p) => p.items !== undefined);
  const [written, quarantineResult] = await Promise.allSettled([
    deps.readings.putItems(writing.flatMap((p) => p.items ?? [])),
    rejections.length ? deps.quarantine.put(rejections) : Promise.resolve(),
  ]);
  const quarantined: QuarantineEntry[] = [];
  if (quarantineResult.status === 'fulfilled') quarantined.push(...rejections);
  else {
    // Retrying re-derives the same entries (stable ids), so nothing is lost or doubled.
    for (const p of pending) {
      if (p.rejection) p.error = `quarantine write failed: ${errorText(quarantineResult.reason)}`;
    }
  }

  if (written.status === 'rejected') {
    await writeAlone(writing, deps);
  } else if (written.value.length > 0) {
    const unwritten = new Set(written.value.map((i) => `${i.deviceId}|${i.sk}`));
    for (const p of writing)
      markUnwritten(
        p,
        (p.items ?? []).filter((i) => unwritten.has(`${i.deviceId}|${i.sk}`)),
      );
  }

  const refused = writing.flatMap((p) => (p.rejection ? [p.rejection] : []));
  if (refused.length > 0) {
    try {
      await deps.quarantine.put(refused);
      quarantined.push(...refused);
    } catch (err) {
      for (const p of writing) {
        if (p.rejection) p.error = `quarantine write failed: ${errorText(err)}`;
      }
    }
  }

  const stored = pending.flatMap((p) =>
    p.accepted && !p.rejection && p.error === undefined ? [p.accepted] : [],
  );
  if (deps.afterStore && stored.length > 0) {
    const failedLater = await deps.afterStore(stored);
    for (const p of pending) {
      if (p.accepted && failedLater.has(p.record.messageId) && p.error === undefined) {
        p.error = 'samples stored, but a later stage (alarm evaluation or bin collections) failed';
      }
    }
  }

  const lastAttempts = pending.filter((p) => p.error !== undefined && attemptOf(p.record) >= maxReceiveCount);
  if (lastAttempts.length > 0) {
    const entries = lastAttempts.map(
      (p): QuarantineEntry => ({
        ...p.base,
        ...(p.deviceId === undefined ? {} : { deviceId: p.deviceId }),
        reason: 'dead_lettered',
        message: `failed on delivery ${attemptOf(p.record)} of ${maxReceiveCount} and went to the dead-letter queue: ${p.error}`,
      }),
    );
    try {
      await deps.quarantine.put(entries);
      quarantined.push(...entries);
    } catch (err) {
      // The message is still in the dead-letter queue; the error is reported with it.
      for (const p of lastAttempts)
        p.error = `${p.error}; recording it as dead_lettered failed: ${errorText(err)}`;
    }
  }
  return { quarantined, stored };
}

const attemptOf = (record: IngestRecord) => record.attempt ?? 1;

/** The id of the queue message a record first came in. */
const correlationOf = (p: Pending) => p.accepted?.correlationId ?? p.record.messageId;

/** Parses one record and looks its device up; never throws. */
async function admit(record: IngestRecord, deps: IngestDeps): Promise<Pending> {
  const envelope = parseEnvelope(record.body);
  if (!envelope.ok) {
    const base: EntryBase = {
      id: quarantineId('', 0, undefined, Buffer.from(record.body)),
      receivedAt: deps.clock.now(),
      topic: '',
      payload: Buffer.from(record.body, 'utf8'),
    };
    return {
      record,
      base,
      rejection: {
        ...base,
        reason: 'bad_envelope',
        message: `queue message is not a telemetry rule envelope: ${envelope.error}`,
      },
    };
  }
  const { topic, clientId, receivedAt, payload, correlationId, raw } = envelope.value;
  const id = quarantineId(topic, receivedAt, clientId, payload);
  const base: EntryBase =
    clientId === undefined
      ? { id, receivedAt, topic, payload }
      : { id, receivedAt, topic, clientId, payload };

  const parsed = parseTelemetry({ topic, payload, clientId, receivedAt });
  if (!parsed.ok) {
    const rejection: QuarantineEntry = { ...base, reason: parsed.reason, message: parsed.message };
    if (parsed.deviceId !== undefined) rejection.deviceId = parsed.deviceId;
    return { record, base, deviceId: parsed.deviceId, rejection };
  }
  const { message } = parsed;
  const deviceId = message.deviceId;
  let device: Device | undefined;
  try {
    device = await deps.registry.get(deviceId);
  } catch (err) {
    return { record, base, deviceId, error: `device registry lookup failed: ${errorText(err)}` };
  }
  const reject = (reason: 'unknown_device' | 'wrong_kind', text: string) => ({
    record,
    base,
    deviceId,
    rejection: { ...base, deviceId, reason, message: text },
  });
  if (!device) {
    return reject(
      'unknown_device',
      `device "${deviceId}" is not registered: add it to the fleet registry before it publishes`,
    );
  }
  if (device.kind !== message.kind) {
    return reject(
      'wrong_kind',
      `device "${device.id}" is registered as a ${device.kind} sensor; publish on ${telemetryTopic(device.kind, device.id)}`,
    );
  }
  return {
    record,
    base,
    deviceId,
    envelope: raw,
    accepted: {
      messageId: record.messageId,
      correlationId: correlationId ?? record.messageId,
      device,
      message,
      receivedAt,
    },
    items: message.samples.map((s) => toReadingItem(deviceId, s, receivedAt, deps.retentionDays)),
  };
}

function markUnwritten(p: Pending, unwritten: readonly ReadingItem[]): void {
  if (unwritten.length > 0) {
    p.error = `${unwritten.length} of ${p.items?.length ?? 0} samples stayed unwritten after retries (throttled)`;
  }
}

/**
 * After a shared write failed, writes each message's items in a call of its own, so the message that caused the
 * failure is found and the others are stored in this invocation. Writes are idempotent puts, so items the shared
 * call had already stored are simply written again.
 */
async function writeAlone(writing: readonly Pending[], deps: IngestDeps): Promise<void> {
  await mapWithConcurrency(writing, deps.splitConcurrency ?? 8, async (p) => {
    try {
      markUnwritten(p, await deps.readings.putItems(p.items ?? []));
    } catch (err) {
      if (err instanceof StorageRejectedError) {
        p.rejection = {
          ...p.base,
          ...(p.deviceId === undefined ? {} : { deviceId: p.deviceId }),
          reason: 'storage_rejected',
          message: `storage refused this message's samples (${err.message}): check the values against the device contract`,
        };
      } else {
        p.error = `writing the samples failed: ${errorText(err)}`;
      }
    }
  });
}

function outcomeOf(p: Pending, maxReceiveCount: number, requeued: ReadonlySet<string>): MessageOutcome {
  const { messageId } = p.record;
  const topic = p.base.topic;
  const device = p.deviceId === undefined ? {} : { deviceId: p.deviceId };
  if (p.deferred)
    return { messageId, status: 'deferred', ...device, topic, requeued: requeued.has(messageId) };
  if (p.error !== undefined) {
    const attempt = attemptOf(p.record);
    return {
      messageId,
      status: 'retry',
      ...device,
      topic,
      error: p.error,
      attempt,
      lastAttempt: attempt >= maxReceiveCount,
    };
  }
  if (p.rejection) {
    return {
      messageId,
      status: 'quarantined',
      ...device,
      topic,
      reason: p.rejection.reason,
      detail: p.rejection.message,
    };
  }
  return { messageId, status: 'stored', deviceId: p.deviceId ?? '', topic };
}

function parseEnvelope(body: string):
  | {
      ok: true;
      value: {
        topic: string;
        clientId?: string;
        receivedAt: number;
        payload: Uint8Array;
        correlationId?: string;
        raw: Record<string, unknown>;
      };
    }
  | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => i.message).join('; ') };
  const { payload, ...rest } = parsed.data;
  // Messages published without a client id (e.g. over HTTPS) carry an empty one.
  const clientId = rest.clientId === '' ? undefined : rest.clientId;
  return {
    ok: true,
    value: {
      ...rest,
      clientId,
      payload: Buffer.from(payload, 'base64'),
      raw: json as Record<string, unknown>,
    },
  };
}
