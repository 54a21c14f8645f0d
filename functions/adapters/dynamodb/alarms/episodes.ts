import { PutCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Alarm, AlarmTransition, PendingNotification } from '../../../core/alarm';
import type { AlarmEpisodes, Expectation, TransitionRequest } from '../../../ports/alarm-episodes';
import type { AlarmLog } from './alarm-log';
import { type AlarmTable, conditional } from './alarm-table';
import { readAlarm, toAlarm } from './episode-item';
import { itemKey } from './item-keys';

type Names = Record<string, string>;
type Values = Record<string, unknown>;
type UpdateOptions = Parameters<AlarmEpisodes['update']>[3];

/** Builds `SET a = :a, b = :b` parts for a patch, with placeholders that cannot clash with the caller's. */
function setParts(patch: Record<string, unknown>, names: Names, values: Values): string[] {
  return Object.entries(patch)
    .filter(([, v]) => v !== undefined)
    .map(([k, v], i) => {
      names[`#p${i}`] = k;
      values[`:p${i}`] = v;
      return `#p${i} = :p${i}`;
    });
}

/** `REMOVE` parts for the attributes a patch sets to undefined. */
function removeParts(patch: Record<string, unknown>, names: Names): string[] {
  return Object.entries(patch)
    .filter(([, v]) => v === undefined)
    .map(([k], i) => {
      names[`#r${i}`] = k;
      return `#r${i}`;
    });
}

function expectParts(expect: Expectation, names: Names, values: Values): string[] {
  return Object.entries(expect).map(([k, v], i) => {
    names[`#e${i}`] = k;
    if (v === undefined) return `attribute_not_exists(#e${i})`;
    values[`:e${i}`] = v;
    return `#e${i} = :e${i}`;
  });
}

/** The `SET` part that queues notifications behind those already pending. */
function notifyPart(
  notify: PendingNotification | readonly PendingNotification[],
  names: Names,
  values: Values,
): string {
  names['#pending'] = 'pending';
  values[':notify'] = typeof notify === 'string' ? [notify] : [...notify];
  return '#pending = list_append(#pending, :notify)';
}

/** The condition an `update` writes under: the alarm exists, plus what the options require. */
function updateCondition(options: UpdateOptions, names: Names, values: Values): string {
  let condition = 'attribute_exists(alarmId)';
  if (options.condition === 'open') {
    names['#status'] = 'status';
    values[':open'] = 'open';
    condition += ' AND #status = :open';
  } else if (options.condition) {
    names['#lna'] = 'lastNotifiedAt';
    if (options.condition.lastNotifiedAt === undefined) condition += ' AND attribute_not_exists(#lna)';
    else {
      values[':lna'] = options.condition.lastNotifiedAt;
      condition += ' AND #lna = :lna';
    }
  }
  for (const part of expectParts(options.expect ?? {}, names, values)) condition += ` AND ${part}`;
  return condition;
}

/**
 * Alarm episodes, keyed by their bare alarm id. Every state change is a single conditional write that also counts the
 * history entry it logs, so a retried batch changes nothing twice.
 */
export class DynamoAlarmEpisodes implements AlarmEpisodes {
  constructor(
    private readonly table: AlarmTable,
    private readonly log: AlarmLog,
  ) {}

  async create(alarm: Alarm, entry: AlarmTransition): Promise<boolean> {
    const ok = await conditional(() =>
      this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...alarm, historyCount: 1, lastChangeAt: entry.at, lastEntry: entry },
          ConditionExpression: 'attribute_not_exists(alarmId)',
        }),
      ),
    );
    if (ok === undefined) return false;
    await this.log.append('history', alarm.alarmId, 1, entry);
    return true;
  }

  head(alarmId: string): Promise<Alarm | undefined> {
    return readAlarm(this.table, alarmId);
  }

  async transition(r: TransitionRequest): Promise<Alarm | undefined> {
    const names: Names = {
      '#state': 'state',
      '#status': 'status',
      '#hc': 'historyCount',
      '#lca': 'lastChangeAt',
      '#le': 'lastEntry',
    };
    const values: Values = {
      ':to': r.to,
      ':status': r.to === 'closed' ? 'closed' : 'open',
      ':one': 1,
      ':at': r.entry.at,
      ':entry': r.entry,
    };
    const from = r.from.map((s, i) => {
      values[`:from${i}`] = s;
      return `:from${i}`;
    });
    const sets = [
      '#state = :to',
      '#status = :status',
      '#lca = :at',
      '#le = :entry',
      ...setParts(r.set ?? {}, names, values),
    ];
    if (r.notify?.length) sets.push(notifyPart(r.notify, names, values));
    return this.write(r.alarmId, r.entry, {
      UpdateExpression: `SET ${sets.join(', ')} ADD #hc :one`,
      ConditionExpression: `attribute_exists(alarmId) AND #state IN (${from.join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async update(
    alarmId: string,
    set: Partial<Alarm>,
    entry: AlarmTransition | undefined,
    options: UpdateOptions = {},
  ): Promise<Alarm | undefined> {
    const names: Names = {};
    const values: Values = {};
    const sets = setParts(set, names, values);
    const removes = removeParts(set, names);
    const adds: string[] = [];
    if (entry) {
      Object.assign(names, { '#hc': 'historyCount', '#lca': 'lastChangeAt', '#le': 'lastEntry' });
      Object.assign(values, { ':one': 1, ':at': entry.at, ':entry': entry });
      sets.push('#lca = :at', '#le = :entry');
      adds.push('#hc :one');
    }
    if (options.notify?.length) sets.push(notifyPart(options.notify, names, values));
    const condition = updateCondition(options, names, values);
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return this.write(alarmId, entry, {
      UpdateExpression: expression,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
    });
  }

  /** The conditional write of a change; logs `entry` under the history count the write returned. */
  private async write(
    alarmId: string,
    entry: AlarmTransition | undefined,
    expression: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<Alarm | undefined> {
    const out = await this.table.updateIf(itemKey.episode(alarmId), {
      ...expression,
      ReturnValues: 'ALL_NEW',
    });
    const alarm = toAlarm(out?.Attributes);
    if (alarm && entry) await this.log.append('history', alarmId, alarm.historyCount, entry);
    return alarm;
  }
}
