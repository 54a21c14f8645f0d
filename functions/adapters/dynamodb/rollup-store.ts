import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { hourStart, rollupSortKey } from '../../core/rollup';
import type { RollupItem, RollupPeriod } from '../../core/rollup-types';
import type { RollupStore } from '../../ports/rollup-store';
import type {
  MarkRead,
  RollupJobState,
  RollupJobStore,
  TouchedHourMarks,
  TouchedHours,
} from '../../ports/touched-hours';
import { mapWithConcurrency } from '../../shared/concurrency';
import { HOUR_MS } from '../../shared/time';
import { batchWriteAll } from './batch-write';
import { decodeRollup, encodeRollup, type StoredRollup } from './rollup-item-codec';

/** How long ingest's touched-hour marks are kept (DynamoDB TTL): the roll-up job must run within this. */
export const MARK_RETENTION_DAYS = 14;
/** Hours per mark item: a backfill of 100 messages of 100 samples, each in its own hour, still fits in one item. */
const HOURS_PER_MARK_ITEM = 20_000;
const MARK_QUERY_CONCURRENCY = 16;
const JOB_KEY = { pk: 'job#rollups', sk: 'state' } as const;

const pad13 = (n: number) => String(n).padStart(13, '0');
const markPartition = (hour: number) => `touch#${pad13(hour)}`;

/** Roll-ups, touched-hour marks and the roll-up job's state in the `rollups` table (TABLES, contract/tables.ts). */
export class DynamoRollupStore implements RollupStore, TouchedHourMarks, RollupJobStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(items: readonly RollupItem[]): Promise<void> {
    const failed = await batchWriteAll(
      this.doc,
      this.tableName,
      items.map(encodeRollup) as (StoredRollup & Record<string, unknown>)[],
      (i) => `${i.pk}|${i.sk}`,
    );
    if (failed.length > 0)
      throw new Error(`${failed.length} roll-up items not written (throttled); run again`);
  }

  async range(deviceId: string, period: RollupPeriod, from: number, to: number): Promise<RollupItem[]> {
    if (to <= from) return [];
    return this.rollupsOf({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': deviceId,
        ':from': rollupSortKey(period, from),
        ':to': rollupSortKey(period, to - 1),
      },
    });
  }

  dailyForTownship(township: string, month: string, siteId?: string): Promise<RollupItem[]> {
    return this.rollupsOf({
      IndexName: 'byTownshipMonth',
      KeyConditionExpression: siteId === undefined ? 'tm = :tm' : 'tm = :tm AND begins_with(sdd, :site)',
      ExpressionAttributeValues: {
        ':tm': `${township}#${month}`,
        ...(siteId === undefined ? {} : { ':site': `${siteId}#` }),
      },
    });
  }

  /** One item per call (a few for an enormous backfill), under the hour it is written in, each hour once per device. */
  async mark(hours: TouchedHours, writtenAt: number): Promise<void> {
    const entries = [...hours].flatMap(([deviceId, starts]) =>
      [...new Set(starts)].map((s) => [deviceId, Math.floor(s / HOUR_MS)] as const),
    );
    for (let i = 0; i < entries.length; i += HOURS_PER_MARK_ITEM) {
      // Hour numbers (hours since the epoch) rather than epoch ms: about 4 bytes each instead of 8.
      const byDevice = new Map<string, number[]>();
      for (const [deviceId, hour] of entries.slice(i, i + HOURS_PER_MARK_ITEM))
        byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), hour]);
      // Lists `[deviceId, hour, …]`, not a map keyed by device: a device id such as `__proto__` would not survive
      // being read back into a plain object.
      const h = [...byDevice].map(([deviceId, hours]) => [deviceId, ...hours]);
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: markPartition(hourStart(writtenAt)),
            sk: `${pad13(writtenAt)}#${randomUUID()}`,
            h,
            ttl: Math.floor(writtenAt / 1000) + MARK_RETENTION_DAYS * 86_400,
          },
        }),
      );
    }
  }

  async marksSince(
    after: number,
    upTo: number,
    skip: ReadonlySet<string> = new Set(),
  ): Promise<{ hours: Map<string, number[]>; read: MarkRead[] }> {
    const merged = new Map<string, Set<number>>();
    const partitions: number[] = [];
    for (let part = hourStart(after); part <= upTo; part += HOUR_MS) partitions.push(part);
    // A first run (no cursor) reads every hour the marks are kept: 336 small queries, a few at a time.
    const pages = await mapWithConcurrency(partitions, MARK_QUERY_CONCURRENCY, (part) =>
      this.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': markPartition(part),
          ':from': pad13(after + 1),
          // `~` sorts after every character of `#<uuid>`: marks written at exactly `upTo` are included.
          ':to': `${pad13(upTo)}#~`,
        },
      }),
    );
    const read: MarkRead[] = [];
    for (const item of pages.flat() as unknown as { sk: string; h: [string, ...number[]][] }[]) {
      if (skip.has(item.sk)) continue;
      read.push({ id: item.sk, writtenAt: Number(item.sk.slice(0, 13)) });
      for (const [deviceId, ...hours] of item.h) {
        const set = merged.get(deviceId) ?? new Set<number>();
        for (const hour of hours) set.add(hour * HOUR_MS);
        merged.set(deviceId, set);
      }
    }
    const hours = new Map([...merged].map(([deviceId, set]) => [deviceId, [...set].sort((a, b) => a - b)]));
    return { hours, read };
  }

  async jobState(): Promise<RollupJobState | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: JOB_KEY, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { cursor, owed, updatedAt, recent } = out.Item as {
      cursor: number;
      owed: [string, ...number[]][];
      updatedAt: number;
      recent?: MarkRead[];
    };
    return {
      cursor,
      owed: Object.fromEntries(owed.map(([deviceId, ...runs]) => [deviceId, runs])),
      updatedAt,
      ...(recent ? { recent } : {}),
    };
  }

  async saveJobState(state: RollupJobState): Promise<void> {
    // Owed hours as lists `[deviceId, …runs]` (as marks): a map keyed by device id would lose `__proto__` on reading.
    const owed = Object.entries(state.owed).map(([deviceId, runs]) => [deviceId, ...runs]);
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...JOB_KEY, ...state, owed } }));
  }

  private async rollupsOf(input: Omit<QueryCommandInput, 'TableName'>): Promise<RollupItem[]> {
    return (await this.queryAll(input)).map((i) => decodeRollup(i as unknown as StoredRollup));
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
