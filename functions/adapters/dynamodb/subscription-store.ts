import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

import type { Subscription } from '../../core/subscription';
import type { SubscriptionFilter, SubscriptionStore } from '../../ports/subscription-store';
import { scanAll } from './scan-all';

/** Subscriptions table: one item per subscription, key `subscriptionId`. A county has tens of them: a scan is fine. */
export class DynamoSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(sub: Subscription): Promise<void> {
    const item = Object.fromEntries(Object.entries(sub).filter(([, v]) => v !== undefined));
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async get(subscriptionId: string): Promise<Subscription | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { subscriptionId }, ConsistentRead: true }),
    );
    return out.Item as Subscription | undefined;
  }

  async list(filter: SubscriptionFilter = {}): Promise<Subscription[]> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (filter.audience !== undefined) {
      conditions.push('#audience = :audience');
      names['#audience'] = 'audience';
      values[':audience'] = filter.audience;
    }
    if (filter.siteId !== undefined) {
      conditions.push('contains(#siteIds, :siteId)');
      names['#siteIds'] = 'siteIds';
      values[':siteId'] = filter.siteId;
    }
    if (filter.township !== undefined) {
      conditions.push('contains(#townships, :township)');
      names['#townships'] = 'townships';
      values[':township'] = filter.township;
    }
    const items = await scanAll<Subscription>(this.doc, {
      TableName: this.tableName,
      FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: conditions.length ? names : undefined,
      ExpressionAttributeValues: conditions.length ? values : undefined,
      ConsistentRead: true,
    });
    return items.sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.subscriptionId.localeCompare(b.subscriptionId),
    );
  }

  async delete(subscriptionId: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { subscriptionId }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
