import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Alarm, AlarmDetail, AlarmTransition, NotificationRecord } from '../../../core/alarm';
import { ValidationError } from '../../../core/errors';
import type { AlarmHistory } from '../../../ports/alarm-history';
import type { AlarmFilter, AlarmQueries } from '../../../ports/alarm-queries';
import { decodeKeyCursor, encodeCursor } from '../cursor';
import type { AlarmLog } from './alarm-log';
import type { AlarmTable } from './alarm-table';
import { readEpisodeItem, toAlarm } from './episode-item';

const DEFAULT_HISTORY_LIMIT = 100;

/** A byStatus index key from a cursor, only if it was issued for the same status (open or closed). */
export function byStatusStartKey(cursor: string, status: AlarmFilter['status']): Record<string, unknown> {
  const key = decodeKeyCursor(cursor, { alarmId: 'S', status: 'S', raisedAt: 'N' });
  if (key.status !== status)
    throw new ValidationError(
      `cursor belongs to a list of ${String(key.status)} alarms, not ${status} ones: repeat the state of the previous page`,
    );
  return key;
}

/** Episodes listed through the `byStatus` index (`open`, `closed`), and one episode with its log. */
export class DynamoAlarmQueries implements AlarmQueries, AlarmHistory {
  constructor(
    private readonly table: AlarmTable,
    private readonly log: AlarmLog,
  ) {}

  async list(filter: AlarmFilter): Promise<{ items: Alarm[]; cursor?: string }> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':status': filter.status };
    const conditions: string[] = [];
    for (const key of ['state', 'siteId', 'deviceId', 'severity'] as const) {
      const value = filter[key];
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      conditions.push(`#${key} = :${key}`);
    }
    const items: Alarm[] = [];
    let startKey = filter.cursor === undefined ? undefined : byStatusStartKey(filter.cursor, filter.status);
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: 'byStatus',
          KeyConditionExpression: '#status = :status',
          FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: filter.limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []).flatMap((i) => toAlarm(i) ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < filter.limit);
    return startKey ? { items, cursor: encodeCursor(startKey) } : { items };
  }

  /** One Query of the `byStatus` index on its `raisedAt` sort key, every page read. */
  async raisedBetween(status: 'open' | 'closed', from: number, to: number): Promise<Alarm[]> {
    const items: Alarm[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: 'byStatus',
          KeyConditionExpression: '#status = :status AND raisedAt BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':from': from, ':to': to },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []).flatMap((i) => toAlarm(i) ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async get(alarmId: string, historyLimit = DEFAULT_HISTORY_LIMIT): Promise<AlarmDetail | undefined> {
    const item = await readEpisodeItem(this.table, alarmId);
    const alarm = toAlarm(item);
    if (!alarm) return undefined;
    // Items written before the log items existed keep their in-item lists; they no longer grow.
    const legacy = item as { history?: AlarmTransition[]; notifications?: NotificationRecord[] };
    const logged = await this.log.newest(alarm, historyLimit);
    return {
      ...alarm,
      history: [...(legacy.history ?? []), ...logged.history].slice(-historyLimit),
      notifications: [...(legacy.notifications ?? []), ...logged.notifications].slice(-historyLimit),
    };
  }
}
