import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PhoneRoute, PhoneRoutes } from '../../ports/phone-routes';
import { scanAll } from './scan-all';
import { SUBSCRIPTION_TABLE_PREFIXES } from './subscription-store';

const keyOf = (phone: string) => `${SUBSCRIPTION_TABLE_PREFIXES.phone}${phone}`;

/** Phone registrations as `phone#<e164>` items of the subscriptions table (no table of their own to deploy). */
export class DynamoPhoneRoutes implements PhoneRoutes {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(phone: string): Promise<PhoneRoute | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { subscriptionId: keyOf(phone) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toRoute(out.Item) : undefined;
  }

  async put(route: PhoneRoute): Promise<void> {
    const item = Object.fromEntries(Object.entries(route).filter(([, v]) => v !== undefined));
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { subscriptionId: keyOf(route.phone), ...item } }),
    );
  }

  async delete(phone: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { subscriptionId: keyOf(phone) } }),
    );
  }

  async list(): Promise<PhoneRoute[]> {
    const items = await scanAll<Record<string, unknown>>(this.doc, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(#id, :prefix)',
      ExpressionAttributeNames: { '#id': 'subscriptionId' },
      ExpressionAttributeValues: { ':prefix': SUBSCRIPTION_TABLE_PREFIXES.phone },
      ConsistentRead: true,
    });
    return items.map(toRoute).sort((a, b) => a.phone.localeCompare(b.phone));
  }
}

function toRoute(item: Record<string, unknown>): PhoneRoute {
  const { subscriptionId: _key, ...route } = item;
  return route as unknown as PhoneRoute;
}
