import type { NotificationRecord, PendingNotification } from '../../../core/alarm';
import type { AlarmNotifications } from '../../../ports/alarm-notifications';
import type { AlarmLog } from './alarm-log';
import type { AlarmTable } from './alarm-table';
import { readAlarm } from './episode-item';
import { itemKey } from './item-keys';

/**
 * Pending notifications on the episode item: `pending` (a list) and `sending` (a map of claims), moved by conditional
 * writes so that exactly one sender claims each. A sent notification is counted on the episode and logged.
 */
export class DynamoAlarmNotifications implements AlarmNotifications {
  constructor(
    private readonly table: AlarmTable,
    private readonly log: AlarmLog,
  ) {}

  async claimNotification(alarmId: string, kind: PendingNotification, at: number): Promise<boolean> {
    const alarm = await readAlarm(this.table, alarmId);
    const index = alarm?.pending.indexOf(kind) ?? -1;
    if (!alarm || index < 0) return false;
    const ok = await this.table.updateIf(itemKey.episode(alarmId), {
      UpdateExpression: `REMOVE #pending[${index}] SET #sending.#kind = :at`,
      ConditionExpression: `#pending[${index}] = :kind AND attribute_not_exists(#sending.#kind)`,
      ExpressionAttributeNames: { '#pending': 'pending', '#sending': 'sending', '#kind': kind },
      ExpressionAttributeValues: { ':kind': kind, ':at': at },
    });
    return ok !== undefined;
  }

  async recordNotification(
    alarmId: string,
    kind: PendingNotification,
    record: NotificationRecord,
  ): Promise<boolean> {
    const folded =
      (record.suppressed === 'flood' || record.suppressed === 'flapping') && record.kind === 'raised';
    const out = await this.table.updateIf(itemKey.episode(alarmId), {
      UpdateExpression: `REMOVE #sending.#kind SET #lna = :at ADD #nc :one${folded ? ', #ff :aud' : ''}`,
      ConditionExpression: 'attribute_exists(#sending.#kind)',
      ExpressionAttributeNames: {
        '#sending': 'sending',
        '#kind': kind,
        '#nc': 'notificationCount',
        '#lna': 'lastNotifiedAt',
        ...(folded ? { '#ff': 'floodFolded' } : {}),
      },
      ExpressionAttributeValues: {
        ':at': record.at,
        ':one': 1,
        ...(folded ? { ':aud': new Set([record.audience]) } : {}),
      },
      ReturnValues: 'UPDATED_NEW',
    });
    const n = out?.Attributes?.notificationCount;
    if (typeof n !== 'number') return false;
    await this.log.append('notification', alarmId, n, record);
    return true;
  }

  async releaseNotification(alarmId: string, kind: PendingNotification): Promise<void> {
    await this.table.updateIf(itemKey.episode(alarmId), {
      UpdateExpression: 'REMOVE #sending.#kind SET #pending = list_append(#pending, :kind)',
      ConditionExpression: 'attribute_exists(#sending.#kind)',
      ExpressionAttributeNames: { '#sending': 'sending', '#kind': kind, '#pending': 'pending' },
      ExpressionAttributeValues: { ':kind': [kind] },
    });
  }
}
