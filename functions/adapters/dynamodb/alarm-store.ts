import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Alarm, AlarmTransition, NotificationRecord, PendingNotification } from '../../core/alarm';
import { ValidationError } from '../../core/errors';
import type { AlarmFilter, AlarmStore, FloodWindow, TransitionRequest } from '../../ports/alarm-store';
import { decodeKeyCursor, encodeCursor } from './cursor';

const indexKey = (deviceId: string) => `dev#${deviceId}`;
const floodKey = (w: Pick<FloodWindow, 'audience' | 'siteId' | 'windowStart'>) =>
  `flood#${w.audience}#${w.siteId}#${w.windowStart}`;
const FLOOD_TTL_S = 7 * 86_400;
const asList = (notify: PendingNotification | readonly PendingNotification[]) =>
  typeof notify === 'string' ? [notify] : [...notify];

async function conditional<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}

/** Builds `SET a = :a, b = :b` parts for a patch, with placeholders that cannot clash with the caller's. */
function setParts(
  patch: Record<string, unknown>,
  names: Record<string, string>,
  values: Record<string, unknown>,
): string[] {
  return Object.entries(patch)
    .filter(([, v]) => v !== undefined)
    .map(([k, v], i) => {
      names[`#p${i}`] = k;
      values[`:p${i}`] = v;
      return `#p${i} = :p${i}`;
    });
}

/**
 * Alarm episodes in one table, keyed by alarmId, with a per-device index item (`dev#<id>`) holding, per condition,
 * the alarm that occupies it. Every state change is a single conditional write, so two concurrent invocations can
 * never open two alarms for one condition, and a retried batch changes nothing twice.
 */
export class DynamoAlarmStore implements AlarmStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async openIndex(deviceId: string): Promise<Record<string, { alarmId: string; at: number }>> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { alarmId: indexKey(deviceId) } }),
    );
    const { alarmId: _key, ...slots } = (out.Item ?? {}) as Record<string, { alarmId: string; at: number }>;
    return slots;
  }

  async acquire(deviceId: string, condition: string, alarmId: string, at: number): Promise<string> {
    const ok = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: indexKey(deviceId) },
          UpdateExpression: 'SET #c = :slot',
          ConditionExpression: 'attribute_not_exists(#c) OR #c.alarmId = :id',
          ExpressionAttributeNames: { '#c': condition },
          ExpressionAttributeValues: { ':slot': { alarmId, at }, ':id': alarmId },
        }),
      ),
    );
    if (ok) return alarmId;
    const slots = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { alarmId: indexKey(deviceId) },
        ConsistentRead: true,
      }),
    );
    return (slots.Item?.[condition] as { alarmId: string } | undefined)?.alarmId ?? alarmId;
  }

  async release(deviceId: string, condition: string, alarmId: string): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: indexKey(deviceId) },
          UpdateExpression: 'REMOVE #c',
          ConditionExpression: '#c.alarmId = :id',
          ExpressionAttributeNames: { '#c': condition },
          ExpressionAttributeValues: { ':id': alarmId },
        }),
      ),
    );
  }

  async create(alarm: Alarm): Promise<boolean> {
    const ok = await conditional(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: alarm,
          ConditionExpression: 'attribute_not_exists(alarmId)',
        }),
      ),
    );
    return ok !== undefined;
  }

  async get(alarmId: string): Promise<Alarm | undefined> {
    if (alarmId.includes('#')) return undefined;
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { alarmId }, ConsistentRead: true }),
    );
    return out.Item as Alarm | undefined;
  }

  async transition(r: TransitionRequest): Promise<Alarm | undefined> {
    const names: Record<string, string> = { '#state': 'state', '#status': 'status', '#history': 'history' };
    const values: Record<string, unknown> = {
      ':to': r.to,
      ':status': r.to === 'closed' ? 'closed' : 'open',
      ':entry': [r.entry],
    };
    const from = r.from.map((s, i) => {
      values[`:from${i}`] = s;
      return `:from${i}`;
    });
    const sets = [
      '#state = :to',
      '#status = :status',
      '#history = list_append(#history, :entry)',
      ...setParts(r.set ?? {}, names, values),
    ];
    if (r.notify?.length) {
      names['#pending'] = 'pending';
      values[':notify'] = asList(r.notify);
      sets.push('#pending = list_append(#pending, :notify)');
    }
    const out = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: r.alarmId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(alarmId) AND #state IN (${from.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes as Alarm | undefined;
  }

  async update(
    alarmId: string,
    set: Partial<Alarm>,
    entry: AlarmTransition | undefined,
    options: {
      condition?: 'open' | { lastNotifiedAt: number | undefined };
      notify?: PendingNotification | readonly PendingNotification[];
    } = {},
  ): Promise<Alarm | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = setParts(set, names, values);
    const removes = Object.entries(set)
      .filter(([, v]) => v === undefined)
      .map(([k], i) => {
        names[`#r${i}`] = k;
        return `#r${i}`;
      });
    if (entry) {
      names['#history'] = 'history';
      values[':entry'] = [entry];
      sets.push('#history = list_append(#history, :entry)');
    }
    if (options.notify?.length) {
      names['#pending'] = 'pending';
      values[':notify'] = asList(options.notify);
      sets.push('#pending = list_append(#pending, :notify)');
    }
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
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const out = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes as Alarm | undefined;
  }

  async claimNotification(alarmId: string, kind: PendingNotification, at: number): Promise<boolean> {
    const alarm = await this.get(alarmId);
    const index = alarm?.pending.indexOf(kind) ?? -1;
    if (!alarm || index < 0) return false;
    const ok = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId },
          UpdateExpression: `REMOVE #pending[${index}] SET #sending.#kind = :at`,
          ConditionExpression: `#pending[${index}] = :kind AND attribute_not_exists(#sending.#kind)`,
          ExpressionAttributeNames: { '#pending': 'pending', '#sending': 'sending', '#kind': kind },
          ExpressionAttributeValues: { ':kind': kind, ':at': at },
        }),
      ),
    );
    return ok !== undefined;
  }

  async recordNotification(
    alarmId: string,
    kind: PendingNotification,
    record: NotificationRecord,
  ): Promise<boolean> {
    const ok = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId },
          UpdateExpression: 'REMOVE #sending.#kind SET #n = list_append(#n, :record), #lna = :at',
          ConditionExpression: 'attribute_exists(#sending.#kind)',
          ExpressionAttributeNames: {
            '#sending': 'sending',
            '#kind': kind,
            '#n': 'notifications',
            '#lna': 'lastNotifiedAt',
          },
          ExpressionAttributeValues: { ':record': [record], ':at': record.at },
        }),
      ),
    );
    return ok !== undefined;
  }

  async releaseNotification(alarmId: string, kind: PendingNotification): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId },
          UpdateExpression: 'REMOVE #sending.#kind SET #pending = list_append(#pending, :kind)',
          ConditionExpression: 'attribute_exists(#sending.#kind)',
          ExpressionAttributeNames: { '#sending': 'sending', '#kind': kind, '#pending': 'pending' },
          ExpressionAttributeValues: { ':kind': [kind] },
        }),
      ),
    );
  }

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
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
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
      items.push(...((out.Items ?? []) as Alarm[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < filter.limit);
    return startKey ? { items, cursor: encodeCursor(startKey) } : { items };
  }

  async addToFloodWindow(w: Omit<FloodWindow, 'count' | 'folded'>, alarmId: string): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { alarmId: floodKey(w) },
        UpdateExpression:
          'ADD #ids :id SET #aud = :aud, #site = :site, #ws = :ws, #town = :town, #sev = :sev, #ttl = :ttl',
        ExpressionAttributeNames: {
          '#ids': 'ids',
          '#aud': 'audience',
          '#site': 'siteId',
          '#ws': 'windowStart',
          '#town': 'township',
          '#sev': 'severity',
          '#ttl': 'ttl',
        },
        ExpressionAttributeValues: {
          ':id': new Set([alarmId]),
          ':aud': w.audience,
          ':site': w.siteId,
          ':ws': w.windowStart,
          ':town': w.township,
          ':sev': w.severity,
          ':ttl': Math.floor(w.windowStart / 1000) + FLOOD_TTL_S,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (out.Attributes?.ids as Set<string> | undefined)?.size ?? 1;
  }

  async foldIntoDigest(w: Omit<FloodWindow, 'count' | 'folded'>, alarmId: string): Promise<void> {
    // Sparse index entry: a window with folded alarms is listed under status "digest" until its digest is sent.
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { alarmId: floodKey(w) },
        UpdateExpression: 'ADD #folded :id SET #status = if_not_exists(#status, :digest), #raisedAt = :ws',
        ConditionExpression: 'attribute_not_exists(#sent)',
        ExpressionAttributeNames: {
          '#folded': 'folded',
          '#status': 'status',
          '#raisedAt': 'raisedAt',
          '#sent': 'digestSentAt',
        },
        ExpressionAttributeValues: { ':id': new Set([alarmId]), ':digest': 'digest', ':ws': w.windowStart },
      }),
    );
  }

  async dueDigests(before: number): Promise<FloodWindow[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :digest AND #raisedAt < :before',
        ExpressionAttributeNames: { '#status': 'status', '#raisedAt': 'raisedAt' },
        ExpressionAttributeValues: { ':digest': 'digest', ':before': before },
      }),
    );
    return (out.Items ?? []).map((i) => ({
      audience: i.audience,
      siteId: i.siteId,
      windowStart: i.windowStart,
      township: i.township,
      severity: i.severity,
      count: (i.ids as Set<string> | undefined)?.size ?? 0,
      folded: [...((i.folded as Set<string> | undefined) ?? [])].sort(),
    }));
  }

  async markDigestSent(w: FloodWindow, at: number): Promise<boolean> {
    const ok = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: floodKey(w) },
          UpdateExpression: 'SET #sent = :now REMOVE #status',
          ConditionExpression: 'attribute_not_exists(#sent)',
          ExpressionAttributeNames: { '#sent': 'digestSentAt', '#status': 'status' },
          ExpressionAttributeValues: { ':now': at },
        }),
      ),
    );
    return ok !== undefined;
  }
}

/** A byStatus index key from a cursor, only if it was issued for the same status (open or closed). */
function byStatusStartKey(cursor: string, status: AlarmFilter['status']): Record<string, unknown> {
  const key = decodeKeyCursor(cursor, { alarmId: 'S', status: 'S', raisedAt: 'N' });
  if (key.status !== status)
    throw new ValidationError(
      `cursor belongs to a list of ${String(key.status)} alarms, not ${status} ones: repeat the state of the previous page`,
    );
  return key;
}
