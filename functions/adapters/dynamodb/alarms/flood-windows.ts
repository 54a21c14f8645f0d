import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FloodWindow, FloodWindows } from '../../../ports/flood-windows';
import type { AlarmTable } from './alarm-table';
import { itemKey, STATUS } from './item-keys';

const FLOOD_TTL_S = 7 * 86_400;

type WindowKey = Omit<FloodWindow, 'count' | 'folded'>;

/** The size of a string set attribute as DynamoDB returns it (absent when empty). */
const sizeOf = (set: unknown, empty: number) => (set instanceof Set ? set.size : empty);

/**
 * One item per audience, site and window (`flood#<audience>#<siteId>#<windowStart>`) holding the ids of the alarms
 * raised in it. A window with folded alarms is listed under status `digest` until its digest is sent.
 */
export class DynamoFloodWindows implements FloodWindows {
  constructor(private readonly table: AlarmTable) {}

  async addToFloodWindow(w: WindowKey, alarmId: string): Promise<number> {
    const out = await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { alarmId: itemKey.flood(w) },
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
    return sizeOf(out.Attributes?.ids, 1);
  }

  async foldIntoDigest(w: WindowKey, alarmId: string): Promise<void> {
    // Sparse index entry: the window is listed under its digest status until the digest is sent.
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { alarmId: itemKey.flood(w) },
        UpdateExpression: 'ADD #folded :id SET #status = if_not_exists(#status, :digest), #raisedAt = :ws',
        ConditionExpression: 'attribute_not_exists(#sent)',
        ExpressionAttributeNames: {
          '#folded': 'folded',
          '#status': 'status',
          '#raisedAt': 'raisedAt',
          '#sent': 'digestSentAt',
        },
        ExpressionAttributeValues: {
          ':id': new Set([alarmId]),
          ':digest': STATUS.digest,
          ':ws': w.windowStart,
        },
      }),
    );
  }

  async dueDigests(before: number): Promise<FloodWindow[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :digest AND #raisedAt < :before',
        ExpressionAttributeNames: { '#status': 'status', '#raisedAt': 'raisedAt' },
        ExpressionAttributeValues: { ':digest': STATUS.digest, ':before': before },
      }),
    );
    return (out.Items ?? []).map((i) => ({
      audience: i.audience,
      siteId: i.siteId,
      windowStart: i.windowStart,
      township: i.township,
      severity: i.severity,
      count: sizeOf(i.ids, 0),
      folded: i.folded instanceof Set ? [...i.folded].sort() : [],
    }));
  }

  async markDigestSent(w: FloodWindow, at: number): Promise<boolean> {
    const ok = await this.table.updateIf(itemKey.flood(w), {
      UpdateExpression: 'SET #sent = :now REMOVE #status',
      ConditionExpression: 'attribute_not_exists(#sent)',
      ExpressionAttributeNames: { '#sent': 'digestSentAt', '#status': 'status' },
      ExpressionAttributeValues: { ':now': at },
    });
    return ok !== undefined;
  }
}
