import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

import type { Subscription } from '../../core/subscription';
import type { SubscriptionFilter, SubscriptionStore } from '../../ports/subscription-store';
import { scanAll } from './scan-all';

/**
 * Prefixes of the table's other items: phone registrations (`phone#<e164>`) and the audit log (`audit#…`). No
 * subscription id contains `#` (ids are [A-Za-z0-9_-]), so these never collide with one.
 */
export const SUBSCRIPTION_TABLE_PREFIXES = { phone: 'phone#', audit: 'audit#' } as const;

/**
 * Subscriptions table: one item per subscription, key `subscriptionId`, next to the phone registrations and the audit
 * log, which `list` leaves out. A county has tens of subscriptions: a scan is fine.
 */
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
    const conditions = ['NOT begins_with(#id, :phoneItem)', 'NOT begins_with(#id, :auditItem)'];
    const names: Record<string, string> = { '#id': 'subscriptionId' };
    const values: Record<string, unknown> = {
      ':phoneItem': SUBSCRIPTION_TABLE_PREFIXES.phone,
      ':auditItem': SUBSCRIPTION_TABLE_PREFIXES.audit,
    };
    if (filter.phone !== undefined) {
      conditions.push('#phone = :phone');
      names['#phone'] = 'phone';
      values[':phone'] = filter.phone;
    }
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
      FilterExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
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
