import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;
const BATCH_GET_ATTEMPTS = 8;

/** Runs a conditional write; undefined when its condition failed, so the caller can tell "someone else moved it". */
export async function conditional<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}

/** The alarms table (key `alarmId`, index `byStatus`) and the reads its item kinds share. */
export class AlarmTable {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  /** A conditional UpdateItem on the item under `key`; undefined when its condition failed. */
  updateIf(key: string, update: Omit<UpdateCommandInput, 'TableName' | 'Key'>) {
    return conditional(() =>
      this.doc.send(new UpdateCommand({ TableName: this.name, Key: { alarmId: key }, ...update })),
    );
  }

  /**
   * Reads items by key, 100 keys a request, following unprocessed keys with a backoff; returns them by key without
   * their key attributes. With `strict`, keys still unprocessed at the end throw, so the caller never takes an
   * unread item for an absent one.
   */
  async batchGet(
    keys: string[],
    options: { consistent?: boolean; strict?: boolean } = {},
  ): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let request: Record<string, unknown>[] | undefined = keys
        .slice(i, i + BATCH_GET_MAX)
        .map((alarmId) => ({ alarmId }));
      for (let attempt = 0; request?.length && attempt < BATCH_GET_ATTEMPTS; attempt++) {
        const out: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.name]: { Keys: request, ConsistentRead: options.consistent ?? true },
            },
          }),
        );
        for (const { alarmId, of: _of, ...entry } of out.Responses?.[this.name] ?? []) {
          found.set(String(alarmId), entry);
        }
        request = out.UnprocessedKeys?.[this.name]?.Keys;
        if (request?.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
      if (options.strict && request?.length) {
        throw new Error(
          `${request.length} keys stayed unprocessed after ${BATCH_GET_ATTEMPTS} BatchGetItem attempts`,
        );
      }
    }
    return found;
  }

  /** Keys asked through `batchGetTogether` in the current tick, read once it ends. */
  private together: { keys: Set<string>; read: Promise<Map<string, Record<string, unknown>>> } | undefined;

  /**
   * A strict, eventually consistent `batchGet` that shares its requests with every other one asked in the same tick:
   * ingest reads a batch's open-alarm indexes and detector states side by side, and together they take one
   * BatchGetItem (up to 100 keys) instead of one each; more keys go in requests of 100 sent at once. A failed read
   * fails every caller that shared it.
   */
  batchGetTogether(keys: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    if (!this.together) {
      const pending = {
        keys: new Set<string>(),
        read: Promise.resolve(new Map<string, Record<string, unknown>>()),
      };
      pending.read = Promise.resolve().then(async () => {
        this.together = undefined;
        // Requests of 100 keys side by side, as the separate reads were: a large batch waits for one round trip.
        const keys = [...pending.keys];
        const chunks: string[][] = [];
        for (let i = 0; i < keys.length; i += BATCH_GET_MAX) chunks.push(keys.slice(i, i + BATCH_GET_MAX));
        const reads = await Promise.all(
          chunks.map((chunk) => this.batchGet(chunk, { strict: true, consistent: false })),
        );
        return new Map(reads.flatMap((read) => [...read]));
      });
      this.together = pending;
    }
    for (const key of keys) this.together.keys.add(key);
    return this.together.read;
  }

  /** Every item of one sparse `byStatus` partition, page by page. */
  async queryStatus(status: string, extra: Partial<QueryCommandInput> = {}) {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.name,
          IndexName: 'byStatus',
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
          ExclusiveStartKey: startKey,
          ...extra,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
