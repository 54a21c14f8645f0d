import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../core/errors';
import { type ReadingItem, readingSortKey } from '../../core/reading-item';
import type { ReadingPage, ReadingQuery, ReadingStore } from '../../ports/reading-store';
import { type BatchWriteOptions, batchWriteAll } from './batch-write';
import { decodeKeyCursor, encodeCursor } from './cursor';

/** Readings table: partition deviceId, sort key `<ts>#<seq>`; one item per sample. */
export class DynamoReadingStore implements ReadingStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly writeOptions: BatchWriteOptions = {},
  ) {}

  putItems(items: readonly ReadingItem[]): Promise<ReadingItem[]> {
    return batchWriteAll(
      this.doc,
      this.tableName,
      items as (ReadingItem & Record<string, unknown>)[],
      (i) => `${i.deviceId}|${i.sk}`,
      this.writeOptions,
    );
  }

  async query(q: ReadingQuery): Promise<ReadingPage> {
    const names: Record<string, string> = { '#d': 'deviceId', '#sk': 'sk' };
    let projection: string | undefined;
    let filter: string | undefined;
    if (q.metric !== undefined) {
      Object.assign(names, { '#m': 'm', '#metric': q.metric, '#ts': 'ts', '#seq': 'seq', '#rcv': 'rcv' });
      projection = '#d, #sk, #ts, #seq, #rcv, #m.#metric';
      filter = 'attribute_exists(#m.#metric)';
    }
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#d = :d AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':d': q.deviceId,
          ':from': readingSortKey(q.from, 0),
          ':to': readingSortKey(q.to, Number.MAX_SAFE_INTEGER),
        },
        ProjectionExpression: projection,
        FilterExpression: filter,
        Limit: q.limit,
        ScanIndexForward: !q.newestFirst,
        ExclusiveStartKey: q.cursor === undefined ? undefined : readingStartKey({ ...q, cursor: q.cursor }),
      }),
    );
    const page: ReadingPage = { items: (out.Items ?? []) as ReadingItem[] };
    if (out.LastEvaluatedKey) page.cursor = encodeCursor(out.LastEvaluatedKey);
    return page;
  }

  async latest(deviceId: string): Promise<ReadingItem | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'deviceId = :d',
        ExpressionAttributeValues: { ':d': deviceId },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    return out.Items?.[0] as ReadingItem | undefined;
  }
}

/** A readings cursor as a start key, only if it is a key of this device inside this query's time range. */
export function readingStartKey(q: ReadingQuery & { cursor: string }): Record<string, unknown> {
  const key = decodeKeyCursor(q.cursor, { deviceId: 'S', sk: 'S' });
  if (key.deviceId !== q.deviceId) {
    throw new ValidationError(
      'cursor does not belong to this device: pass the nextCursor of the previous page',
    );
  }
  const sk = key.sk as string;
  if (sk < readingSortKey(q.from, 0) || sk > readingSortKey(q.to, Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError(
      "cursor lies outside this query's from/to: send the from and to of the previous page's response with its nextCursor",
    );
  }
  return key;
}
