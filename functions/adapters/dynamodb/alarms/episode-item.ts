import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Alarm } from '../../../core/alarm';
import type { Audience } from '../../../core/alarm-types';
import type { AlarmTable } from './alarm-table';
import { kindOf } from './item-keys';

/** An alarm item as the engine sees it; sets come back as arrays, items written before counters get them. */
export function toAlarm(item: Record<string, unknown> | undefined): Alarm | undefined {
  if (!item) return undefined;
  const {
    history: _h,
    notifications: _n,
    floodFolded,
    ...rest
  } = item as Record<string, unknown> & {
    floodFolded?: Set<Audience>;
  };
  const alarm = rest as unknown as Alarm;
  alarm.historyCount ??= 0;
  alarm.notificationCount ??= 0;
  alarm.lastChangeAt ??= alarm.raisedAt;
  alarm.pending ??= [];
  alarm.sending ??= {};
  if (floodFolded && floodFolded.size > 0) alarm.floodFolded = [...floodFolded].sort();
  return alarm;
}

/** The stored episode item, read consistently; undefined for an id that names an item of another kind. */
export async function readEpisodeItem(
  table: AlarmTable,
  alarmId: string,
): Promise<Record<string, unknown> | undefined> {
  if (kindOf(alarmId) !== 'episode') return undefined;
  const out = await table.doc.send(
    new GetCommand({ TableName: table.name, Key: { alarmId }, ConsistentRead: true }),
  );
  return out.Item;
}

/** The episode as the engine sees it (see `toAlarm`). */
export async function readAlarm(table: AlarmTable, alarmId: string): Promise<Alarm | undefined> {
  return toAlarm(await readEpisodeItem(table, alarmId));
}
