import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { RollupItem, RollupPeriod } from '../../core/rollup-types';
import type { RollupStore } from '../../ports/rollup-store';
import { batchWriteAll } from './batch-write';

const startKey = (period: RollupPeriod, ts: number) =>
  `${period === 'hour' ? 'h' : 'd'}#${String(Math.max(0, ts)).padStart(13, '0')}`;

/**
 * Roll-up items in the rollups table (see TABLES.rollups): a device's hours or days by sort-key range, a township's
 * month of days through the sparse `byTownshipMonth` index.
 */
export class DynamoRollupStore implements RollupStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(items: readonly RollupItem[]): Promise<void> {
    const left = await batchWriteAll(
      this.doc,
      this.tableName,
      items as unknown as (RollupItem & Record<string, unknown>)[],
      (i) => `${i.pk}|${i.sk}`,
    );
    if (left.length > 0) throw new Error(`${left.length} roll-up item(s) still unwritten after retries`);
  }

  range(deviceId: string, period: RollupPeriod, from: number, to: number): Promise<RollupItem[]> {
    if (to <= from) return Promise.resolve([]);
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: {
        ':pk': deviceId,
        ':lo': startKey(period, from),
        ':hi': startKey(period, to - 1),
      },
    });
  }

  dailyForTownship(township: string, month: string, siteId?: string): Promise<RollupItem[]> {
    const values: Record<string, unknown> = { ':tm': `${township}#${month}` };
    let condition = 'tm = :tm';
    if (siteId !== undefined) {
      condition += ' AND begins_with(sdd, :site)';
      values[':site'] = `${siteId}#`;
    }
    return this.queryAll({
      IndexName: 'byTownshipMonth',
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
    });
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<RollupItem[]> {
    const items: RollupItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey: start }),
      );
      items.push(...((out.Items ?? []) as RollupItem[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
