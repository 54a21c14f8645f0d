import { DEAD_LETTER_PAYLOAD_BYTES, type DeadLetter } from '../ports/dead-letters';

interface Envelope {
  payload?: unknown;
  topic?: unknown;
  clientId?: unknown;
  receivedAt?: unknown;
}

/** What the queue knows of a dead letter besides its body. */
export interface DeadLetterMeta {
  id: string;
  deadLetteredAt: string;
  receiveCount: number;
  reason?: string;
}

/**
 * Presents a dead-lettered queue message (an IoT rule envelope) for listing. The payload is cut to a bounded prefix;
 * a body that is not an envelope is shown whole as the payload, so nothing in the queue is hidden.
 */
export function deadLetterFromBody(body: string, meta: DeadLetterMeta): DeadLetter {
  let envelope: Envelope | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null) envelope = parsed as Envelope;
  } catch {
    envelope = undefined;
  }
  const topic = typeof envelope?.topic === 'string' ? envelope.topic : '';
  const raw =
    typeof envelope?.payload === 'string'
      ? Buffer.from(envelope.payload, 'base64')
      : Buffer.from(body, 'utf8');
  const deviceId = /^dt\/[a-z]+\/([^/]+)$/.exec(topic)?.[1];
  const entry: DeadLetter = {
    id: meta.id,
    deadLetteredAt: meta.deadLetteredAt,
    receiveCount: meta.receiveCount,
    topic,
    receivedAt: typeof envelope?.receivedAt === 'number' ? envelope.receivedAt : 0,
    payloadBase64: raw.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('base64'),
    payloadBytes: raw.length,
    payloadTruncated: raw.length > DEAD_LETTER_PAYLOAD_BYTES,
  };
  if (deviceId !== undefined) entry.deviceId = deviceId;
  if (typeof envelope?.clientId === 'string') entry.clientId = envelope.clientId;
  if (meta.reason !== undefined) entry.reason = meta.reason;
  return entry;
}
