import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseTelemetry, type TelemetryMessage } from '../core/contract';
import { type ReadingItem, toReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { QuarantineEntry, QuarantineStore } from '../ports/quarantine-store';
import type { ReadingStore } from '../ports/reading-store';

/** One queued message: the SQS message id and body (the IoT rule's envelope). */
export interface IngestRecord {
  messageId: string;
  body: string;
}

/** A message whose samples are stored, handed to later stages (alarm evaluation). */
export interface StoredMessage {
  messageId: string;
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
}

export interface IngestResult {
  failedMessageIds: string[];
  storedSamples: number;
  quarantined: QuarantineEntry[];
  stored: StoredMessage[];
}

const envelopeSchema = z.object({
  payload: z.string(),
  topic: z.string(),
  clientId: z.string().optional(),
  receivedAt: z.number().int().positive(),
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

/**
 * Ingests one queue batch: validates every message, stores one item per sample for all good messages in shared
 * BatchWriteItem calls, and quarantines bad messages with their raw bytes and a reason. A bad message never fails
 * the batch; only a message whose writes failed is reported for retry.
 */
export async function ingestTelemetry(
  records: readonly IngestRecord[],
  deps: IngestDeps,
): Promise<IngestResult> {
  const quarantined: QuarantineEntry[] = [];
  const accepted: StoredMessage[] = [];
  const itemsByMessage = new Map<string, ReadingItem[]>();

  for (const record of records) {
    const envelope = parseEnvelope(record.body);
    if (!envelope.ok) {
      quarantined.push({
        id: quarantineId('', 0, undefined, Buffer.from(record.body)),
        receivedAt: deps.clock.now(),
        topic: '',
        reason: 'bad_envelope',
        message: `queue message is not a telemetry rule envelope: ${envelope.error}`,
        payload: Buffer.from(record.body, 'utf8'),
      });
      continue;
    }
    const { topic, clientId, receivedAt, payload } = envelope.value;
    const base = { id: quarantineId(topic, receivedAt, clientId, payload), receivedAt, topic, payload };
    const withClient = clientId === undefined ? base : { ...base, clientId };

    const parsed = parseTelemetry({ topic, payload, clientId, receivedAt });
    if (!parsed.ok) {
      quarantined.push({
        ...withClient,
        deviceId: parsed.deviceId,
        reason: parsed.reason,
        message: parsed.message,
      });
      continue;
    }
    const { message } = parsed;
    const device = await deps.registry.get(message.deviceId);
    if (!device) {
      quarantined.push({
        ...withClient,
        deviceId: message.deviceId,
        reason: 'unknown_device',
        message: `device "${message.deviceId}" is not registered: add it to the fleet registry before it publishes`,
      });
      continue;
    }
    if (device.kind !== message.kind) {
      quarantined.push({
        ...withClient,
        deviceId: message.deviceId,
        reason: 'wrong_kind',
        message: `device "${device.id}" is registered as a ${device.kind} sensor; publish on dt/${device.kind}/${device.id}`,
      });
      continue;
    }
    accepted.push({ messageId: record.messageId, device, message, receivedAt });
    itemsByMessage.set(
      record.messageId,
      message.samples.map((s) => toReadingItem(message.deviceId, s, receivedAt, deps.retentionDays)),
    );
  }

  const failed = new Set<string>();
  const allItems = [...itemsByMessage.values()].flat();
  const [unwritten, quarantineResult] = await Promise.allSettled([
    deps.readings.putItems(allItems),
    quarantined.length ? deps.quarantine.put(quarantined) : Promise.resolve(),
  ]);

  if (unwritten.status === 'rejected') {
    for (const id of itemsByMessage.keys()) failed.add(id);
  } else if (unwritten.value.length > 0) {
    const failedKeys = new Set(unwritten.value.map((i) => `${i.deviceId}|${i.sk}`));
    for (const [id, items] of itemsByMessage) {
      if (items.some((i) => failedKeys.has(`${i.deviceId}|${i.sk}`))) failed.add(id);
    }
  }
  if (quarantineResult.status === 'rejected') {
    // Retrying re-derives the same entries (stable ids), so nothing is lost or doubled.
    for (const r of records) if (!itemsByMessage.has(r.messageId)) failed.add(r.messageId);
  }

  const stored = accepted.filter((a) => !failed.has(a.messageId));
  if (deps.afterStore && stored.length > 0) {
    for (const id of await deps.afterStore(stored)) failed.add(id);
  }

  return {
    failedMessageIds: records.map((r) => r.messageId).filter((id) => failed.has(id)),
    storedSamples: stored.reduce((n, s) => n + s.message.samples.length, 0),
    quarantined: quarantineResult.status === 'fulfilled' ? quarantined : [],
    stored,
  };
}

function parseEnvelope(
  body: string,
):
  | { ok: true; value: { topic: string; clientId?: string; receivedAt: number; payload: Uint8Array } }
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
  return { ok: true, value: { ...rest, clientId, payload: Buffer.from(payload, 'base64') } };
}
