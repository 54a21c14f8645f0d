import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mergeHeartbeat } from '../../../core/heartbeat-merge';
import type { Heartbeat, Heartbeats } from '../../../ports/heartbeats';
import { MINUTE_MS } from '../../../shared/time';
import type { AlarmTable } from './alarm-table';
import { itemKey, STATUS } from './item-keys';

/**
 * A heartbeat batch is cut at about this many bytes of entries: a write unit per KB in the table and again in the
 * index, and well under DynamoDB's 400 KB item limit.
 */
const BATCH_MAX_BYTES = 60_000;
/** A map entry's bytes besides its key: the number (up to 21 bytes for 13 digits, 8 for a ms time) and overhead. */
const ENTRY_OVERHEAD_BYTES = 12;
/**
 * Heartbeat batches expire this long after they were written. Past it a device is judged by its newest reading,
 * once, and then by the sweep's own heartbeat: a device reporting less often than this costs a read, not an alarm.
 */
const HEARTBEAT_BATCH_TTL_MS = 2 * 24 * 60 * MINUTE_MS;
/**
 * Each warm read starts this far before the newest batch it has seen: a batch whose write time lies before one
 * already read (another invocation's clock, a slow write, the index catching up) is still read.
 */
const READ_OVERLAP_MS = MINUTE_MS;

/** A device's entry size in a batch item, as DynamoDB counts it (UTF-8 key, a number, a little overhead). */
const entryBytes = (deviceId: string) => Buffer.byteLength(deviceId) + ENTRY_OVERHEAD_BYTES;

function chunkBySize<T extends { deviceId: string }>(beats: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const beat of beats) {
    const size = entryBytes(beat.deviceId);
    if (chunk.length > 0 && bytes + size > BATCH_MAX_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(beat);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Ingest's heartbeats go into one batch item per invocation (`hbb#<uuid>`, a map of device id to last seen time),
 * listed under its own `byStatus` value by write time and expiring by `ttl`: a write unit per KB of entries rather
 * than three per device. The sweep keeps a per-device item (`hb#<deviceId>`, sorted by last seen time) only for its
 * own bookkeeping. A reader merges both into the newest time per device and, warm, reads only batches written
 * since its last read.
 */
export class DynamoHeartbeats implements Heartbeats {
  /** What this instance has merged so far, and the newest batch write time among it. */
  private known: Map<string, Heartbeat> | undefined;
  private readUpTo = 0;

  constructor(private readonly table: AlarmTable) {}

  async recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void> {
    // The index sort key is the last seen time; only a newer time moves it, so concurrent sweeps never regress it.
    const moved = await this.table.updateIf(itemKey.heartbeat(deviceId), {
      UpdateExpression: 'SET #status = :hb, #seen = :ts, #dev = :dev REMOVE #off',
      ConditionExpression: 'attribute_not_exists(#seen) OR #seen < :ts',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#seen': 'raisedAt',
        '#dev': 'deviceId',
        '#off': 'offlineFor',
      },
      ExpressionAttributeValues: { ':hb': STATUS.heartbeat, ':ts': lastSeenTs, ':dev': deviceId },
    });
    if (moved && this.known) mergeHeartbeat(this.known, { deviceId, lastSeenTs });
  }

  async recordHeartbeats(
    beats: readonly { deviceId: string; lastSeenTs: number }[],
    writtenAt: number,
  ): Promise<string[]> {
    const chunks = chunkBySize(beats);
    const outcomes = await Promise.allSettled(
      chunks.map((chunk) =>
        this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              alarmId: itemKey.heartbeatBatch(randomUUID()),
              status: STATUS.heartbeatBatch,
              raisedAt: writtenAt,
              seen: Object.fromEntries(chunk.map((b) => [b.deviceId, b.lastSeenTs])),
              ttl: Math.floor((writtenAt + HEARTBEAT_BATCH_TTL_MS) / 1000),
            },
          }),
        ),
      ),
    );
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [{ o, chunk: chunks[i] ?? [] }] : [],
    );
    // Nothing written: the caller learns why. Some chunks written: it learns which devices to try again.
    const [first] = failed;
    if (first && failed.length === chunks.length) throw first.o.reason;
    return failed.flatMap(({ chunk }) => chunk.map((b) => b.deviceId));
  }

  async heartbeats(options: { since?: number } = {}): Promise<Heartbeat[]> {
    const fresh = options.since !== undefined || !this.known;
    const known = fresh ? new Map<string, Heartbeat>() : (this.known as Map<string, Heartbeat>);
    const from = fresh ? (options.since ?? 0) : Math.max(0, this.readUpTo - READ_OVERLAP_MS);
    if (fresh) {
      const own = await this.table.queryStatus(STATUS.heartbeat, {
        ProjectionExpression: 'deviceId, raisedAt, offlineFor',
      });
      for (const i of own) {
        const beat: Heartbeat = { deviceId: String(i.deviceId), lastSeenTs: Number(i.raisedAt) };
        if (typeof i.offlineFor === 'number') beat.offlineFor = i.offlineFor;
        mergeHeartbeat(known, beat);
      }
    }
    // The index's sort key is the batch's write time: only batches written since `from` are read.
    const batches = await this.table.queryStatus(STATUS.heartbeatBatch, {
      KeyConditionExpression: '#status = :status AND #at >= :from',
      ExpressionAttributeNames: { '#status': 'status', '#at': 'raisedAt', '#seen': 'seen' },
      ExpressionAttributeValues: { ':status': STATUS.heartbeatBatch, ':from': from },
      ProjectionExpression: '#at, #seen',
    });
    let upTo = fresh ? from : this.readUpTo;
    for (const batch of batches) {
      upTo = Math.max(upTo, Number(batch.raisedAt));
      for (const [deviceId, ts] of Object.entries((batch.seen ?? {}) as Record<string, unknown>)) {
        mergeHeartbeat(known, { deviceId, lastSeenTs: Number(ts) });
      }
    }
    this.known = known;
    this.readUpTo = upTo;
    return [...known.values()].map((b) => ({ ...b }));
  }

  async markOffline(deviceId: string, lastSeenTs: number): Promise<void> {
    const marked = await this.table.updateIf(itemKey.heartbeat(deviceId), {
      UpdateExpression: 'SET #off = :ts',
      ConditionExpression: '#seen = :ts',
      ExpressionAttributeNames: { '#off': 'offlineFor', '#seen': 'raisedAt' },
      ExpressionAttributeValues: { ':ts': lastSeenTs },
    });
    if (marked && this.known) mergeHeartbeat(this.known, { deviceId, lastSeenTs, offlineFor: lastSeenTs });
  }
}
