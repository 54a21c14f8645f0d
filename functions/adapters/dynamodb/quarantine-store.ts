import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../core/errors';
import {
  QUARANTINE_LIMITS,
  type QuarantineEntry,
  type QuarantinePage,
  type QuarantineQuery,
  type QuarantineStore,
} from '../../ports/quarantine-store';
import { DAY_MS } from '../../shared/time';
import { batchWriteAll } from './batch-write';
import { decodeCursor, encodeCursor } from './cursor';

/**
 * A page stops once its entries hold this many bytes of payload and text, even below `limit`: 500 entries of 8 KiB
 * would exceed Lambda's 6 MB response once base64-encoded. 512 KiB keeps a page under about 3 MB in the worst case.
 */
const PAGE_BYTES = 512 * 1024;
/**
 * Rounds of queries (one per partition of a day) one page may spend looking for filtered entries; the page then ends
 * with a cursor where it stopped.
 */
const PAGE_ROUNDS = 20;

/**
 * Each UTC day is spread over this many partitions (`<day>#0` … `<day>#7`, by a hash of the entry id), so a storm
 * of bad messages writes to eight partitions instead of one: DynamoDB takes about 1,000 writes a second per
 * partition, and a quarantine entry costs up to 15 write units (an 8 KiB payload prefix). The table's key schema
 * stays as it is (the shard is in the value of `day`), so a retained table needs no replacement.
 */
export const QUARANTINE_SHARDS = 8;

interface QuarantineItem extends Record<string, unknown> {
  /** `<UTC day>#<shard>`; entries written before sharding have the bare day. */
  day: string;
  sk: string;
  id: string;
  at: number;
  topic: string;
  clientId?: string;
  deviceId?: string;
  reason: QuarantineEntry['reason'];
  message: string;
  /** At most `payloadPrefixBytes` of the message. */
  payload?: Uint8Array;
  payloadBytes: number;
  payloadSha256: string;
  ttl: number;
}

/**
 * Where a page resumes: after `sk` in day `day`, or at the newest entry of `day` when `sk` is absent. A day's
 * partitions are merged by `sk`, which is unique across them (its id decides the shard), so one sort key is a
 * position in every partition at once, and the cursor format did not change with sharding.
 */
interface Position {
  day: string;
  sk?: string;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const shardOf = (id: string) => (createHash('sha256').update(id).digest()[0] as number) % QUARANTINE_SHARDS;
/** The partition key values of one day: its shards, then the bare day of entries written before sharding. */
const partitionsOf = (day: string) => [
  ...Array.from({ length: QUARANTINE_SHARDS }, (_, n) => `${day}#${n}`),
  day,
];
const previousDay = (day: string) => dayOf(Date.parse(`${day}T00:00:00Z`) - DAY_MS);
const sortKey = (receivedAt: number, id: string) => `${String(receivedAt).padStart(13, '0')}#${id}`;
const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * Quarantine table: partition by UTC day of receipt, sorted by receive time, so "recent" is a few queries. Each entry
 * is one bounded item (see `QUARANTINE_LIMITS`), whatever the size of the message it records.
 */
export class DynamoQuarantineStore implements QuarantineStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async put(entries: readonly QuarantineEntry[]): Promise<void> {
    const items = entries.map((e) => this.toItem(e));
    const failed = await batchWriteAll(this.doc, this.tableName, items, (i) => `${i.day}|${i.sk}`);
    if (failed.length > 0) throw new Error(`${failed.length} quarantine entries could not be written`);
  }

  private toItem(e: QuarantineEntry): QuarantineItem {
    const prefix = e.payload.subarray(0, QUARANTINE_LIMITS.payloadPrefixBytes);
    const item: QuarantineItem = {
      day: `${dayOf(e.receivedAt)}#${shardOf(e.id)}`,
      sk: sortKey(e.receivedAt, e.id),
      id: e.id,
      at: e.receivedAt,
      topic: cut(e.topic, QUARANTINE_LIMITS.topicChars),
      reason: e.reason,
      message: cut(e.message, QUARANTINE_LIMITS.messageChars),
      payloadBytes: e.payloadBytes ?? e.payload.byteLength,
      payloadSha256: e.payloadSha256 ?? createHash('sha256').update(e.payload).digest('hex'),
      ttl: Math.floor(e.receivedAt / 1000) + this.retentionDays * 86_400,
    };
    // DynamoDB rejects an empty binary value; an empty payload is stored as absent.
    if (prefix.byteLength > 0) item.payload = prefix;
    if (e.clientId !== undefined) item.clientId = cut(e.clientId, QUARANTINE_LIMITS.clientIdChars);
    if (e.deviceId !== undefined) item.deviceId = cut(e.deviceId, QUARANTINE_LIMITS.deviceIdChars);
    return item;
  }

  async listRecent(options: Omit<QuarantineQuery, 'cursor'>): Promise<QuarantineEntry[]> {
    return (await this.list(options)).items;
  }

  async list(query: QuarantineQuery): Promise<QuarantinePage> {
    const { limit, deviceId, reason, days = 7, now } = query;
    const newest = dayOf(now);
    const oldest = dayOf(now - (days - 1) * DAY_MS);
    const filter = { deviceId, reason };
    let position: Position | undefined =
      query.cursor === undefined ? { day: newest } : decodePosition(query.cursor, filter);
    // A cursor is issued for a day up to its request's today, so a later day was made up.
    if (position.day > newest)
      throw new ValidationError(
        'cursor is not valid: pass the nextCursor value of the previous page unchanged',
      );

    const names: Record<string, string> = { '#day': 'day' };
    const values: Record<string, unknown> = {};
    const conditions: string[] = [];
    if (deviceId !== undefined) {
      names['#dev'] = 'deviceId';
      values[':dev'] = deviceId;
      conditions.push('#dev = :dev');
    }
    if (reason !== undefined) {
      names['#reason'] = 'reason';
      values[':reason'] = reason;
      conditions.push('#reason = :reason');
    }

    const entries: QuarantineEntry[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    let rounds = 0;
    const full = () => entries.length >= limit || bytes >= PAGE_BYTES;
    while (position && position.day >= oldest) {
      if (full() || rounds >= PAGE_ROUNDS)
        return { items: entries, cursor: encodePosition(position, filter) };
      const day: string = position.day;
      const need = limit - entries.length;
      const after = position.sk;
      // Every partition of the day, from the same position; without a filter each returns about its share.
      const outs: QueryCommandOutput[] = await Promise.all(
        partitionsOf(day).map((partition) =>
          this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: '#day = :day',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ...values, ':day': partition },
              FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
              ScanIndexForward: false,
              Limit: conditions.length ? undefined : Math.ceil((2 * need) / QUARANTINE_SHARDS),
              ExclusiveStartKey: after === undefined ? undefined : { day: partition, sk: after },
            }),
          ),
        ),
      );
      rounds++;
      // A partition that stopped early may still hold anything below its last key: only entries at or above the
      // highest such key are certainly next; the rest are read again from there.
      const frontier = outs
        .map((o) => (o.LastEvaluatedKey as { sk?: unknown } | undefined)?.sk)
        .filter((sk): sk is string => typeof sk === 'string')
        .sort()
        .at(-1);
      const next = outs
        .flatMap((o) => (o.Items ?? []) as QuarantineItem[])
        .filter((item) => frontier === undefined || item.sk >= frontier)
        .sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
      for (const item of next) {
        if (full()) break;
        position = { day, sk: item.sk };
        // An entry written again after the upgrade may be in its shard and in the bare day: list it once.
        if (seen.has(item.sk)) continue;
        seen.add(item.sk);
        entries.push(fromItem(item));
        bytes += (item.payload?.byteLength ?? 0) + (item.message?.length ?? 0) + (item.topic?.length ?? 0);
      }
      if (full()) continue;
      position = frontier === undefined ? { day: previousDay(day) } : { day, sk: frontier };
    }
    return { items: entries };
  }
}

function encodePosition(p: Position, filter: { deviceId?: string; reason?: string }): string {
  return encodeCursor({ day: p.day, ...(p.sk === undefined ? {} : { sk: p.sk }), f: filterTag(filter) });
}

/** The filters a cursor was issued for, so a cursor cannot silently continue a different listing. */
const filterTag = (filter: { deviceId?: string; reason?: string }) =>
  `${filter.deviceId ?? ''}|${filter.reason ?? ''}`;

function decodePosition(cursor: string, filter: { deviceId?: string; reason?: string }): Position {
  const value = decodeCursor(cursor);
  const { day, sk, f, ...rest } = value;
  const invalid = () =>
    new ValidationError('cursor is not valid: pass the nextCursor value of the previous page unchanged');
  if (Object.keys(rest).length > 0 || typeof day !== 'string' || typeof f !== 'string') throw invalid();
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(day) ||
    Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ||
    dayOf(Date.parse(day)) !== day
  )
    throw invalid();
  if (sk !== undefined) {
    // A sort key is `<13-digit receive time>#<id>`, and its time falls on the cursor's day.
    const m = typeof sk === 'string' && sk.length <= 256 ? /^(\d{13})#.+$/.exec(sk) : null;
    if (!m || dayOf(Number(m[1])) !== day) throw invalid();
  }
  if (f !== filterTag(filter))
    throw new ValidationError(
      'cursor was issued for another deviceId or reason: repeat the deviceId and reason of the previous page with it',
    );
  return sk === undefined ? { day } : { day, sk: sk as string };
}

function fromItem(item: QuarantineItem): QuarantineEntry {
  const payload = item.payload ?? new Uint8Array();
  const entry: QuarantineEntry = {
    id: item.id,
    receivedAt: item.at,
    topic: item.topic,
    reason: item.reason,
    message: item.message,
    payload,
    // Entries written before lengths and hashes were recorded hold their whole payload.
    payloadBytes: item.payloadBytes ?? payload.byteLength,
    payloadSha256: item.payloadSha256 ?? createHash('sha256').update(payload).digest('hex'),
  };
  if (item.clientId !== undefined) entry.clientId = item.clientId;
  if (item.deviceId !== undefined) entry.deviceId = item.deviceId;
  if (item.payloadBytes !== undefined) entry.payloadBytes = item.payloadBytes;
  if (item.payloadSha256 !== undefined) entry.payloadSha256 = item.payloadSha256;
  return entry;
}
