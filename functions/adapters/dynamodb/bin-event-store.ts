import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { BinEventStore, CollectionEvent } from '../../ports/bin-event-store';
import { type BatchWriteOptions, batchWriteAll } from './batch-write';

type EventItem = CollectionEvent & { kind: 'collection' };

const FIELDS = [
  'binId',
  'ts',
  'seq',
  'township',
  'siteId',
  'wasteStream',
  'fromPct',
  'toPct',
  'fromTs',
  'receivedAt',
] as const;

function toEvent(item: Record<string, unknown>): CollectionEvent {
  return Object.fromEntries(FIELDS.map((f) => [f, item[f]])) as unknown as CollectionEvent;
}

/**
 * Bin events table: partition `binId`, sort `ts` (the emptied reading's sample time), index `byTownship` (township,
 * ts) for the monthly report. Items carry `kind: "collection"`, so other bin events can share the table later.
 */
export class DynamoBinEventStore implements BinEventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly writeOptions: BatchWriteOptions = {},
  ) {}

  putCollections(events: readonly CollectionEvent[]): Promise<CollectionEvent[]> {
    const items = events.map((e): EventItem => ({ ...e, kind: 'collection' }));
    return batchWriteAll(
      this.doc,
      this.tableName,
      items as (EventItem & Record<string, unknown>)[],
      (i) => `${i.binId}|${i.ts}`,
      this.writeOptions,
    );
  }

  async latestCollection(binId: string, before: number): Promise<CollectionEvent | undefined> {
    const [latest] = await this.query(
      {
        KeyConditionExpression: '#b = :b AND #ts <= :to',
        ExpressionAttributeNames: { '#b': 'binId', '#ts': 'ts' },
        ExpressionAttributeValues: { ':b': binId, ':to': before },
        ScanIndexForward: false,
      },
      1,
    );
    return latest;
  }

  listForBin(binId: string, r: { from: number; to: number; limit: number }): Promise<CollectionEvent[]> {
    return this.query(
      {
        KeyConditionExpression: '#b = :b AND #ts BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#b': 'binId', '#ts': 'ts' },
        ExpressionAttributeValues: { ':b': binId, ':from': r.from, ':to': r.to },
        ScanIndexForward: false,
      },
      r.limit,
    );
  }

  listForTownship(township: string, r: { from: number; to: number }): Promise<CollectionEvent[]> {
    return this.query(
      {
        IndexName: 'byTownship',
        KeyConditionExpression: '#t = :t AND #ts BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#t': 'township', '#ts': 'ts' },
        ExpressionAttributeValues: { ':t': township, ':from': r.from, ':to': r.to },
        ScanIndexForward: true,
      },
      Number.POSITIVE_INFINITY,
    );
  }

  /** Pages through a query, keeping collection items, until `limit` are found or the range is exhausted. */
  private async query(
    input: Omit<QueryCommandInput, 'TableName' | 'FilterExpression'>,
    limit: number,
  ): Promise<CollectionEvent[]> {
    const out: CollectionEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          FilterExpression: '#kind = :collection',
          ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#kind': 'kind' },
          ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ':collection': 'collection' },
          Limit: Number.isFinite(limit) ? Math.min(100, Math.max(limit - out.length, 10)) : undefined,
          ExclusiveStartKey: startKey,
        }),
      );
      out.push(...(page.Items ?? []).map(toEvent));
      startKey = page.LastEvaluatedKey;
    } while (startKey && out.length < limit);
    return out.slice(0, Number.isFinite(limit) ? limit : undefined);
  }
}
