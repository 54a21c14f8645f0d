import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QuarantineEntry, QuarantineStore } from '../../ports/quarantine-store';
import { batchWriteAll } from './batch-write';

const DAY_MS = 86_400_000;

interface QuarantineItem extends Record<string, unknown> {
  day: string;
  sk: string;
  id: string;
  at: number;
  topic: string;
  clientId?: string;
  deviceId?: string;
  reason: QuarantineEntry['reason'];
  message: string;
  payload: Uint8Array;
  payloadBytes?: number;
  payloadSha256?: string;
  ttl: number;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Quarantine table: partition by UTC day of receipt, sorted by receive time, so "recent" is a few queries. */
export class DynamoQuarantineStore implements QuarantineStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async put(entries: readonly QuarantineEntry[]): Promise<void> {
    const items: QuarantineItem[] = entries.map((e) => ({
      day: dayOf(e.receivedAt),
      sk: `${String(e.receivedAt).padStart(13, '0')}#${e.id}`,
      id: e.id,
      at: e.receivedAt,
      topic: e.topic,
      clientId: e.clientId,
      deviceId: e.deviceId,
      reason: e.reason,
      message: e.message,
      // DynamoDB rejects an empty binary value; an empty payload is stored as absent.
      payload: e.payload.byteLength > 0 ? e.payload : (undefined as unknown as Uint8Array),
      payloadBytes: e.payloadBytes,
      payloadSha256: e.payloadSha256,
      ttl: Math.floor(e.receivedAt / 1000) + this.retentionDays * 86_400,
    }));
    const failed = await batchWriteAll(this.doc, this.tableName, items, (i) => `${i.day}|${i.sk}`);
    if (failed.length > 0) throw new Error(`${failed.length} quarantine entries could not be written`);
  }

  async listRecent(options: {
    limit: number;
    deviceId?: string;
    days?: number;
    now: number;
  }): Promise<QuarantineEntry[]> {
    const { limit, deviceId, days = 7, now } = options;
    const entries: QuarantineEntry[] = [];
    for (let d = 0; d < days && entries.length < limit; d++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#day = :day',
            ExpressionAttributeNames: { '#day': 'day', ...(deviceId ? { '#dev': 'deviceId' } : {}) },
            ExpressionAttributeValues: {
              ':day': dayOf(now - d * DAY_MS),
              ...(deviceId ? { ':dev': deviceId } : {}),
            },
            FilterExpression: deviceId ? '#dev = :dev' : undefined,
            ScanIndexForward: false,
            Limit: deviceId ? undefined : limit - entries.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of (out.Items ?? []) as QuarantineItem[]) entries.push(fromItem(item));
        startKey = out.LastEvaluatedKey;
      } while (startKey && entries.length < limit);
    }
    return entries.slice(0, limit);
  }
}

function fromItem(item: QuarantineItem): QuarantineEntry {
  const entry: QuarantineEntry = {
    id: item.id,
    receivedAt: item.at,
    topic: item.topic,
    reason: item.reason,
    message: item.message,
    payload: item.payload ?? new Uint8Array(),
  };
  if (item.clientId !== undefined) entry.clientId = item.clientId;
  if (item.deviceId !== undefined) entry.deviceId = item.deviceId;
  if (item.payloadBytes !== undefined) entry.payloadBytes = item.payloadBytes;
  if (item.payloadSha256 !== undefined) entry.payloadSha256 = item.payloadSha256;
  return entry;
}
