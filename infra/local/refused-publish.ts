import { createHash } from 'node:crypto';
import type { QuarantineEntry } from '../../functions/ports/quarantine-store';
import { MAX_PUBLISH_PAYLOAD_BYTES, type OversizePublish, QUARANTINE_PREFIX_BYTES } from './mqtt-size-guard';

const BASIC_INGEST = /^\$aws\/rules\/[^/]+\/dt\/(water|bin)\/([^/]+)$/;

function entryId(topic: string, receivedAt: number, clientId: string | undefined, sha256: string): string {
  return createHash('sha256')
    .update(`${topic}\n${receivedAt}\n${clientId ?? ''}\n${sha256}`)
    .digest('hex')
    .slice(0, 20);
}

/**
 * The quarantine entry for a publish the broker refused on a topic the ingest rule never sees (anything but
 * `dt/water/+` and `dt/bin/+`), so the attempt is recorded all the same. Keeps a bounded prefix of the payload with
 * its full length and hash.
 */
export function refusedPublishEntry(input: {
  topic: string;
  clientId: string;
  /** Set when the client is a registered device, so `GET /quarantine?deviceId=` finds the entry. */
  deviceId?: string;
  payload: Buffer;
  receivedAt: number;
  why: string;
}): QuarantineEntry {
  const { topic, clientId, payload, receivedAt, why } = input;
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const basic = BASIC_INGEST.exec(topic);
  let reason: QuarantineEntry['reason'] = 'bad_topic';
  let message = `topic "${topic}" is not dt/water/<deviceId> or dt/bin/<deviceId>: ${why}`;
  if (basic && basic[2] !== clientId) {
    reason = 'topic_mismatch';
    message = `client "${clientId}" published on the Basic Ingest topic of device "${basic[2]}"; a device may publish only to its own topics`;
  } else if (basic) {
    message = `Basic Ingest topics ($aws/rules/…) exist only in AWS IoT Core; the local broker takes dt/${basic[1]}/${clientId}`;
  }
  const entry: QuarantineEntry = {
    id: entryId(topic, receivedAt, clientId, sha256),
    receivedAt,
    topic,
    clientId,
    reason,
    message,
    payload: payload.subarray(0, QUARANTINE_PREFIX_BYTES),
    payloadBytes: payload.length,
    payloadSha256: sha256,
  };
  if (input.deviceId) entry.deviceId = input.deviceId;
  return entry;
}

/** The quarantine entry for a publish over the broker's size limit; only its prefix ever reached memory. */
export function oversizeEntry(
  publish: OversizePublish,
  receivedAt: number,
  deviceId: string | undefined,
  maxPayloadBytes = MAX_PUBLISH_PAYLOAD_BYTES,
): QuarantineEntry {
  const cut =
    publish.receivedBytes < publish.payloadBytes
      ? ` (the connection ended after ${publish.receivedBytes} bytes; the hash covers those)`
      : '';
  const entry: QuarantineEntry = {
    id: entryId(publish.topic, receivedAt, publish.clientId, publish.sha256),
    receivedAt,
    topic: publish.topic,
    reason: 'oversize',
    message: `message is ${publish.payloadBytes} bytes; the broker accepts at most ${maxPayloadBytes} (AWS IoT Core's 128 KB) and the contract 32 KiB: split the backfill into smaller samples batches${cut}`,
    payload: publish.prefix.subarray(0, QUARANTINE_PREFIX_BYTES),
    payloadBytes: publish.payloadBytes,
    payloadSha256: publish.sha256,
  };
  if (publish.clientId) entry.clientId = publish.clientId;
  if (deviceId) entry.deviceId = deviceId;
  return entry;
}
