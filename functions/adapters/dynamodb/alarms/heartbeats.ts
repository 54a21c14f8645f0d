import type { Heartbeat, Heartbeats } from '../../../ports/heartbeats';
import { batchWriteAll } from '../batch-write';
import type { AlarmTable } from './alarm-table';
import { itemKey, STATUS } from './item-keys';

/**
 * One item per device (`hb#<deviceId>`), listed under its own `byStatus` value with the last seen time as sort key
 * (`raisedAt`), so the sweep reads them all in one paged query.
 */
export class DynamoHeartbeats implements Heartbeats {
  constructor(private readonly table: AlarmTable) {}

  async recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void> {
    // The index sort key is the last seen time; only a newer time moves it, so concurrent batches never regress it.
    await this.table.updateIf(itemKey.heartbeat(deviceId), {
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
  }

  async recordHeartbeats(beats: readonly { deviceId: string; lastSeenTs: number }[]): Promise<string[]> {
    // The same attributes recordHeartbeat sets; a put also drops `offlineFor`, as recordHeartbeat's REMOVE does.
    const items = beats.map((b) => ({
      alarmId: itemKey.heartbeat(b.deviceId),
      status: STATUS.heartbeat,
      raisedAt: b.lastSeenTs,
      deviceId: b.deviceId,
    }));
    const unwritten = await batchWriteAll(this.table.doc, this.table.name, items, (i) => i.alarmId);
    return unwritten.map((i) => i.deviceId);
  }

  async heartbeats(options: { seenBefore?: number } = {}): Promise<Heartbeat[]> {
    const { seenBefore } = options;
    const items = await this.table.queryStatus(
      STATUS.heartbeat,
      seenBefore === undefined
        ? { ProjectionExpression: 'deviceId, raisedAt, offlineFor' }
        : {
            // The index's sort key is the last seen time: only the stale part of the index is read.
            KeyConditionExpression: '#status = :status AND #seen BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#status': 'status', '#seen': 'raisedAt' },
            ExpressionAttributeValues: { ':status': STATUS.heartbeat, ':lo': 1, ':hi': seenBefore - 1 },
            ProjectionExpression: 'deviceId, #seen, offlineFor',
          },
    );
    return items.map((i) => {
      const beat: Heartbeat = { deviceId: String(i.deviceId), lastSeenTs: Number(i.raisedAt) };
      if (typeof i.offlineFor === 'number') beat.offlineFor = i.offlineFor;
      return beat;
    });
  }

  async markOffline(deviceId: string, lastSeenTs: number): Promise<void> {
    await this.table.updateIf(itemKey.heartbeat(deviceId), {
      UpdateExpression: 'SET #off = :ts',
      ConditionExpression: '#seen = :ts',
      ExpressionAttributeNames: { '#off': 'offlineFor', '#seen': 'raisedAt' },
      ExpressionAttributeValues: { ':ts': lastSeenTs },
    });
  }
}
