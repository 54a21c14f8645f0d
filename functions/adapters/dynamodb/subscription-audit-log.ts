import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../core/errors';
import type { SubscriptionAuditEntry } from '../../core/subscription-audit';
import type { AuditPage, SubscriptionAuditLog } from '../../ports/subscription-audit';
import { decodeCursor, encodeCursor } from './cursor';
import { scanAll } from './scan-all';
import { SUBSCRIPTION_TABLE_PREFIXES } from './subscription-store';

const AUDIT_KEY = /^audit#\d{4}-\d{2}-\d{2}T[\d:.]+Z#[0-9a-f-]{36}$/;

/**
 * The audit log as `audit#<at>#<uuid>` items of the subscriptions table: the key sorts by time. Reading scans the
 * table, which suits a county's few hundred changes a year; a larger deployment would give it a table with a sort key
 * and a TTL.
 */
export class DynamoSubscriptionAuditLog implements SubscriptionAuditLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entries: readonly SubscriptionAuditEntry[]): Promise<void> {
    for (const entry of entries) {
      // The entry nests under `entry`: its own `subscriptionId` is not the item's key. JSON drops undefined fields.
      const stored = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            subscriptionId: `${SUBSCRIPTION_TABLE_PREFIXES.audit}${entry.at}#${randomUUID()}`,
            entry: stored,
          },
        }),
      );
    }
  }

  async page(options: { limit: number; cursor?: string }): Promise<AuditPage> {
    let after: string | undefined;
    if (options.cursor !== undefined) {
      const k = decodeCursor(options.cursor).k;
      if (typeof k !== 'string' || !AUDIT_KEY.test(k))
        throw new ValidationError(
          'cursor is not valid: pass the nextCursor value of the previous page unchanged',
        );
      after = k;
    }
    const items = await scanAll<{ subscriptionId: string; entry: SubscriptionAuditEntry }>(this.doc, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(#id, :prefix)',
      ExpressionAttributeNames: { '#id': 'subscriptionId' },
      ExpressionAttributeValues: { ':prefix': SUBSCRIPTION_TABLE_PREFIXES.audit },
      ConsistentRead: true,
    });
    const newestFirst = items
      .filter((i) => after === undefined || i.subscriptionId < after)
      .sort((a, b) => (a.subscriptionId < b.subscriptionId ? 1 : -1));
    const page = newestFirst.slice(0, options.limit);
    const last = page.at(-1);
    const result: AuditPage = { items: page.map((i) => i.entry) };
    if (last && newestFirst.length > options.limit)
      result.nextCursor = encodeCursor({ k: last.subscriptionId });
    return result;
  }
}
