import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  Alarm,
  AlarmDetail,
  AlarmTransition,
  NotificationRecord,
  PendingNotification,
} from '../../core/alarm';
import type { Audience } from '../../core/alarm-types';
import { ValidationError } from '../../core/errors';
import type {
  AlarmFilter,
  AlarmStore,
  Expectation,
  FloodWindow,
  Heartbeat,
  PendingEvaluation,
  TransitionRequest,
} from '../../ports/alarm-store';
import { batchWriteAll } from './batch-write';
import { decodeKeyCursor, encodeCursor } from './cursor';

const indexKey = (deviceId: string) => `dev#${deviceId}`;
const historyKey = (alarmId: string, n: number) => `hist#${alarmId}#${n}`;
const noteKey = (alarmId: string, n: number) => `note#${alarmId}#${n}`;
const heartbeatKey = (deviceId: string) => `hb#${deviceId}`;
const pendingEvalKey = (deviceId: string) => `eval#${deviceId}`;
/** `status` values of the sparse index entries that are not alarm episodes. */
const HEARTBEAT_STATUS = 'heartbeat';
const PENDING_EVAL_STATUS = 'pending_eval';
const DEFAULT_HISTORY_LIMIT = 100;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;
const BATCH_GET_ATTEMPTS = 8;
const MAX_ERROR_CHARS = 300;
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

/** An alarm item as the engine sees it; sets come back as arrays, items written before counters get them. */
function toAlarm(item: Record<string, unknown> | undefined): Alarm | undefined {
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

/** Keys `n` from `count - limit + 1` to `count`, oldest first. */
const newest = (count: number, limit: number) =>
  Array.from({ length: Math.min(count, limit) }, (_, i) => count - Math.min(count, limit) + 1 + i);

/**
 * Alarm episodes in one table, keyed by alarmId, with a per-device index item (`dev#<id>`) holding, per condition,
 * the alarm that occupies it. Every state change is a single conditional write, so two concurrent invocations can
 * never open two alarms for one condition, and a retried batch changes nothing twice.
 *
 * History and notification records are log items (`hist#<alarmId>#<n>`, `note#<alarmId>#<n>`) numbered by a counter
 * the conditional write on the alarm increments, and written right after it: the alarm item keeps a fixed size.
 * The same table holds per-device heartbeats (`hb#<deviceId>`) and pending evaluations (`eval#<deviceId>`), listed
 * through the `byStatus` index under their own status values, so the sweep reads each kind in one paged query.
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

  async openIndexes(
    deviceIds: readonly string[],
  ): Promise<Map<string, Record<string, { alarmId: string; at: number }>>> {
    const ids = [...new Set(deviceIds)];
    // Eventually consistent like openIndex: a slot taken meanwhile is caught by acquire's conditional write.
    const found = await this.batchGet(ids.map(indexKey), { consistent: false, strict: true });
    return new Map(
      ids.map((id) => [
        id,
        (found.get(indexKey(id)) ?? {}) as Record<string, { alarmId: string; at: number }>,
      ]),
    );
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

  async create(alarm: Alarm, entry: AlarmTransition): Promise<boolean> {
    const ok = await conditional(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...alarm, historyCount: 1, lastChangeAt: entry.at, lastEntry: entry },
          ConditionExpression: 'attribute_not_exists(alarmId)',
        }),
      ),
    );
    if (ok === undefined) return false;
    await this.putLog(historyKey(alarm.alarmId, 1), alarm.alarmId, entry);
    return true;
  }

  async head(alarmId: string): Promise<Alarm | undefined> {
    if (alarmId.includes('#')) return undefined;
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { alarmId }, ConsistentRead: true }),
    );
    return toAlarm(out.Item);
  }

  async get(alarmId: string, historyLimit = DEFAULT_HISTORY_LIMIT): Promise<AlarmDetail | undefined> {
    if (alarmId.includes('#')) return undefined;
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { alarmId }, ConsistentRead: true }),
    );
    const alarm = toAlarm(out.Item);
    if (!alarm) return undefined;
    // Items written before the log items existed keep their in-item lists; they no longer grow.
    const legacy = out.Item as { history?: AlarmTransition[]; notifications?: NotificationRecord[] };
    const historyNs = newest(alarm.historyCount, historyLimit);
    const noteNs = newest(alarm.notificationCount, historyLimit);
    const logs = await this.batchGet([
      ...historyNs.map((n) => historyKey(alarmId, n)),
      ...noteNs.map((n) => noteKey(alarmId, n)),
    ]);
    const history = historyNs.flatMap((n) => {
      const entry = logs.get(historyKey(alarmId, n)) as AlarmTransition | undefined;
      // A writer that died between the alarm write and its log write left the latest entry on the alarm only.
      if (!entry && n === alarm.historyCount && alarm.lastEntry) return [alarm.lastEntry];
      return entry ? [entry] : [];
    });
    const notifications = noteNs.flatMap((n) => {
      const record = logs.get(noteKey(alarmId, n)) as NotificationRecord | undefined;
      return record ? [record] : [];
    });
    return {
      ...alarm,
      history: [...(legacy.history ?? []), ...history].slice(-historyLimit),
      notifications: [...(legacy.notifications ?? []), ...notifications].slice(-historyLimit),
    };
  }

  private async putLog(key: string, alarmId: string, entry: object): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...entry, alarmId: key, of: alarmId } }),
    );
  }

  /**
   * Reads items by key, 100 keys a request, following unprocessed keys with a backoff; returns them by key without
   * their key attributes. With `strict`, keys still unprocessed at the end throw, so the caller never takes an
   * unread item for an absent one.
   */
  private async batchGet(
    keys: string[],
    options: { consistent?: boolean; strict?: boolean } = {},
  ): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let request: Record<string, unknown>[] | undefined = keys
        .slice(i, i + BATCH_GET_MAX)
        .map((alarmId) => ({ alarmId }));
      for (let attempt = 0; request?.length && attempt < BATCH_GET_ATTEMPTS; attempt++) {
        const out: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: { Keys: request, ConsistentRead: options.consistent ?? true },
            },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const { alarmId, of: _of, ...entry } = item;
          found.set(alarmId as string, entry);
        }
        request = out.UnprocessedKeys?.[this.tableName]?.Keys;
        if (request?.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
      if (options.strict && request?.length) {
        throw new Error(
          `${request.length} keys stayed unprocessed after ${BATCH_GET_ATTEMPTS} BatchGetItem attempts`,
        );
      }
    }
    return found;
  }

  private expectParts(
    expect: Expectation,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): string[] {
    return Object.entries(expect).map(([k, v], i) => {
      names[`#e${i}`] = k;
      if (v === undefined) return `attribute_not_exists(#e${i})`;
      values[`:e${i}`] = v;
      return `#e${i} = :e${i}`;
    });
  }

  async transition(r: TransitionRequest): Promise<Alarm | undefined> {
    const names: Record<string, string> = {
      '#state': 'state',
      '#status': 'status',
      '#hc': 'historyCount',
      '#lca': 'lastChangeAt',
      '#le': 'lastEntry',
    };
    const values: Record<string, unknown> = {
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
          UpdateExpression: `SET ${sets.join(', ')} ADD #hc :one`,
          ConditionExpression: `attribute_exists(alarmId) AND #state IN (${from.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    const alarm = toAlarm(out?.Attributes);
    if (alarm) await this.putLog(historyKey(r.alarmId, alarm.historyCount), r.alarmId, r.entry);
    return alarm;
  }

  async update(
    alarmId: string,
    set: Partial<Alarm>,
    entry: AlarmTransition | undefined,
    options: {
      condition?: 'open' | { lastNotifiedAt: number | undefined };
      expect?: Expectation;
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
    const adds: string[] = [];
    if (entry) {
      Object.assign(names, { '#hc': 'historyCount', '#lca': 'lastChangeAt', '#le': 'lastEntry' });
      Object.assign(values, { ':one': 1, ':at': entry.at, ':entry': entry });
      sets.push('#lca = :at', '#le = :entry');
      adds.push('#hc :one');
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
    for (const part of this.expectParts(options.expect ?? {}, names, values)) condition += ` AND ${part}`;
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
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
    const alarm = toAlarm(out?.Attributes);
    if (alarm && entry) await this.putLog(historyKey(alarmId, alarm.historyCount), alarmId, entry);
    return alarm;
  }

  async claimNotification(alarmId: string, kind: PendingNotification, at: number): Promise<boolean> {
    const alarm = await this.head(alarmId);
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
    const folded = record.suppressed === 'flood' && record.kind === 'raised';
    const out = await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId },
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
        }),
      ),
    );
    const n = out?.Attributes?.notificationCount as number | undefined;
    if (n === undefined) return false;
    await this.putLog(noteKey(alarmId, n), alarmId, record);
    return true;
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
      items.push(...(out.Items ?? []).map((i) => toAlarm(i) as Alarm));
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

  /** Every item of one sparse `byStatus` partition, page by page. */
  private async queryStatus(status: string, extra: Partial<QueryCommandInput> = {}) {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
          ExclusiveStartKey: startKey,
          ...extra,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void> {
    // The index sort key is the last seen time; only a newer time moves it, so concurrent batches never regress it.
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: heartbeatKey(deviceId) },
          UpdateExpression: 'SET #status = :hb, #seen = :ts, #dev = :dev REMOVE #off',
          ConditionExpression: 'attribute_not_exists(#seen) OR #seen < :ts',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#seen': 'raisedAt',
            '#dev': 'deviceId',
            '#off': 'offlineFor',
          },
          ExpressionAttributeValues: { ':hb': HEARTBEAT_STATUS, ':ts': lastSeenTs, ':dev': deviceId },
        }),
      ),
    );
  }

  async recordHeartbeats(beats: readonly { deviceId: string; lastSeenTs: number }[]): Promise<string[]> {
    // The same attributes recordHeartbeat sets; a put also drops `offlineFor`, as recordHeartbeat's REMOVE does.
    const items = beats.map((b) => ({
      alarmId: heartbeatKey(b.deviceId),
      status: HEARTBEAT_STATUS,
      raisedAt: b.lastSeenTs,
      deviceId: b.deviceId,
    }));
    const unwritten = await batchWriteAll(this.doc, this.tableName, items, (i) => i.alarmId);
    return unwritten.map((i) => i.deviceId);
  }

  async heartbeats(): Promise<Heartbeat[]> {
    const items = await this.queryStatus(HEARTBEAT_STATUS, {
      ProjectionExpression: 'deviceId, raisedAt, offlineFor',
    });
    return items.map((i) => {
      const beat: Heartbeat = { deviceId: i.deviceId as string, lastSeenTs: i.raisedAt as number };
      if (typeof i.offlineFor === 'number') beat.offlineFor = i.offlineFor;
      return beat;
    });
  }

  async markOffline(deviceId: string, lastSeenTs: number): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: heartbeatKey(deviceId) },
          UpdateExpression: 'SET #off = :ts',
          ConditionExpression: '#seen = :ts',
          ExpressionAttributeNames: { '#off': 'offlineFor', '#seen': 'raisedAt' },
          ExpressionAttributeValues: { ':ts': lastSeenTs },
        }),
      ),
    );
  }

  async addPendingEvaluation(
    deviceId: string,
    range: { fromTs: number; toTs: number },
    at: number,
    error: string,
  ): Promise<void> {
    const key = { alarmId: pendingEvalKey(deviceId) };
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression:
          'SET #status = :pe, #first = if_not_exists(#first, :at), #dev = :dev, #err = :err, ' +
          '#from = if_not_exists(#from, :from), #to = if_not_exists(#to, :to) ADD #failures :one',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#first': 'raisedAt',
          '#dev': 'deviceId',
          '#err': 'lastError',
          '#from': 'fromTs',
          '#to': 'toTs',
          '#failures': 'failures',
        },
        ExpressionAttributeValues: {
          ':pe': PENDING_EVAL_STATUS,
          ':at': at,
          ':dev': deviceId,
          ':err': error.slice(0, MAX_ERROR_CHARS),
          ':from': range.fromTs,
          ':to': range.toTs,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    // An existing marker is widened to cover the new range; each bound only ever moves outwards.
    const stored = out.Attributes as { fromTs: number; toTs: number };
    for (const [attr, value, op] of [
      ['fromTs', range.fromTs, '>'],
      ['toTs', range.toTs, '<'],
    ] as const) {
      if (op === '>' ? stored[attr] <= value : stored[attr] >= value) continue;
      await conditional(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #a = :v',
            ConditionExpression: `#a ${op} :v`,
            ExpressionAttributeNames: { '#a': attr },
            ExpressionAttributeValues: { ':v': value },
          }),
        ),
      );
    }
  }

  async pendingEvaluations(): Promise<PendingEvaluation[]> {
    const items = await this.queryStatus(PENDING_EVAL_STATUS);
    return items.map((i) => ({
      deviceId: i.deviceId as string,
      fromTs: i.fromTs as number,
      toTs: i.toTs as number,
      failures: i.failures as number,
      firstFailedAt: i.raisedAt as number,
      lastError: i.lastError as string,
    }));
  }

  async clearPendingEvaluation(pending: PendingEvaluation): Promise<boolean> {
    const ok = await conditional(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { alarmId: pendingEvalKey(pending.deviceId) },
          ConditionExpression: '#failures = :n AND #from = :from AND #to = :to',
          ExpressionAttributeNames: { '#failures': 'failures', '#from': 'fromTs', '#to': 'toTs' },
          ExpressionAttributeValues: { ':n': pending.failures, ':from': pending.fromTs, ':to': pending.toTs },
        }),
      ),
    );
    return ok !== undefined;
  }

  async failPendingEvaluation(deviceId: string, error: string): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alarmId: pendingEvalKey(deviceId) },
          UpdateExpression: 'SET #err = :err ADD #failures :one',
          ConditionExpression: 'attribute_exists(alarmId)',
          ExpressionAttributeNames: { '#err': 'lastError', '#failures': 'failures' },
          ExpressionAttributeValues: { ':err': error.slice(0, MAX_ERROR_CHARS), ':one': 1 },
        }),
      ),
    );
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
