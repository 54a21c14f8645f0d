import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Alarm, AlarmTransition, NotificationRecord } from '../../../core/alarm';
import type { AlarmTable } from './alarm-table';
import { itemKey } from './item-keys';

/** Keys `n` from `count - limit + 1` to `count`, oldest first. */
const newest = (count: number, limit: number) =>
  Array.from({ length: Math.min(count, limit) }, (_, i) => count - Math.min(count, limit) + 1 + i);

/**
 * An alarm's history and notification records as log items (`hist#<alarmId>#<n>`, `note#<alarmId>#<n>`), numbered by
 * a counter the conditional write on the alarm increments and written right after it: the alarm item keeps a fixed size.
 */
export class AlarmLog {
  constructor(private readonly table: AlarmTable) {}

  /** Writes entry `n` of the alarm's history or notification records. */
  async append(
    kind: 'history' | 'notification',
    alarmId: string,
    n: number,
    entry: AlarmTransition | NotificationRecord,
  ): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { ...entry, alarmId: itemKey[kind](alarmId, n), of: alarmId },
      }),
    );
  }

  /** The alarm's newest `limit` history entries and notification records, oldest first. */
  async newest(
    alarm: Alarm,
    limit: number,
  ): Promise<{ history: AlarmTransition[]; notifications: NotificationRecord[] }> {
    const { alarmId } = alarm;
    const historyNs = newest(alarm.historyCount, limit);
    const noteNs = newest(alarm.notificationCount, limit);
    const logs = await this.table.batchGet([
      ...historyNs.map((n) => itemKey.history(alarmId, n)),
      ...noteNs.map((n) => itemKey.notification(alarmId, n)),
    ]);
    const history = historyNs.flatMap((n) => {
      const entry = logs.get(itemKey.history(alarmId, n)) as AlarmTransition | undefined;
      // A writer that died between the alarm write and its log write left the latest entry on the alarm only.
      if (!entry && n === alarm.historyCount && alarm.lastEntry) return [alarm.lastEntry];
      return entry ? [entry] : [];
    });
    const notifications = noteNs.flatMap((n) => {
      const record = logs.get(itemKey.notification(alarmId, n)) as NotificationRecord | undefined;
      return record ? [record] : [];
    });
    return { history, notifications };
  }
}
