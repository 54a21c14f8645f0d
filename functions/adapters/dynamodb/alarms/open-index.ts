import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { OpenAlarmIndex, OpenSlot } from '../../../ports/open-alarm-index';
import type { AlarmTable } from './alarm-table';
import { itemKey } from './item-keys';

/** A device's index item without its key: one attribute per condition, holding the slot. */
function slotsOf(item: Record<string, unknown> | undefined): Record<string, OpenSlot> {
  const { alarmId: _key, ...slots } = item ?? {};
  return slots as Record<string, OpenSlot>;
}

/**
 * One index item per device (`dev#<deviceId>`) with an attribute per condition naming the alarm that holds it. Taking
 * a slot is a conditional write, so two concurrent invocations can never open two alarms for one condition.
 */
export class DynamoOpenAlarmIndex implements OpenAlarmIndex {
  constructor(private readonly table: AlarmTable) {}

  async openIndex(deviceId: string): Promise<Record<string, OpenSlot>> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { alarmId: itemKey.index(deviceId) } }),
    );
    return slotsOf(out.Item);
  }

  async openIndexes(deviceIds: readonly string[]): Promise<Map<string, Record<string, OpenSlot>>> {
    const ids = [...new Set(deviceIds)];
    // Eventually consistent like openIndex: a slot taken meanwhile is caught by acquire's conditional write.
    const found = await this.table.batchGetTogether(ids.map(itemKey.index));
    return new Map(ids.map((id) => [id, slotsOf(found.get(itemKey.index(id)))]));
  }

  async acquire(deviceId: string, condition: string, alarmId: string, at: number): Promise<string> {
    const key = itemKey.index(deviceId);
    const ok = await this.table.updateIf(key, {
      UpdateExpression: 'SET #c = :slot',
      ConditionExpression: 'attribute_not_exists(#c) OR #c.alarmId = :id',
      ExpressionAttributeNames: { '#c': condition },
      ExpressionAttributeValues: { ':slot': { alarmId, at }, ':id': alarmId },
    });
    if (ok) return alarmId;
    const slots = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { alarmId: key }, ConsistentRead: true }),
    );
    return slotsOf(slots.Item)[condition]?.alarmId ?? alarmId;
  }

  async release(deviceId: string, condition: string, alarmId: string): Promise<void> {
    await this.table.updateIf(itemKey.index(deviceId), {
      UpdateExpression: 'REMOVE #c',
      ConditionExpression: '#c.alarmId = :id',
      ExpressionAttributeNames: { '#c': condition },
      ExpressionAttributeValues: { ':id': alarmId },
    });
  }
}
