import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface BatchWriteOptions {
  /** Rounds of retrying UnprocessedItems before giving up on them. */
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Called with the write units DynamoDB reports as consumed (ReturnConsumedCapacity). */
  onConsumedCapacity?: (units: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const BATCH_LIMIT = 25;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes items with BatchWriteItem in chunks of 25, retrying UnprocessedItems with exponential back-off and jitter.
 * `keyOf` identifies an item: a chunk never holds the same key twice (DynamoDB rejects such a request).
 * Returns the items still unwritten after the last attempt.
 */
export async function batchWriteAll<T extends Record<string, unknown>>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly T[],
  keyOf: (item: T) => string,
  options: BatchWriteOptions = {},
): Promise<T[]> {
  const { maxAttempts = 6, baseDelayMs = 50, onConsumedCapacity, sleep = defaultSleep } = options;
  const unique = [...new Map(items.map((item) => [keyOf(item), item])).values()];
  const failed: T[] = [];
  for (let start = 0; start < unique.length; start += BATCH_LIMIT) {
    let pending = unique.slice(start, start + BATCH_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > maxAttempts) {
        failed.push(...pending);
        break;
      }
      if (attempt > 1) await sleep(Math.random() * baseDelayMs * 2 ** (attempt - 2));
      const out = await doc.send(
        new BatchWriteCommand({
          RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
          ReturnConsumedCapacity: onConsumedCapacity ? 'TOTAL' : 'NONE',
        }),
      );
      for (const c of out.ConsumedCapacity ?? []) onConsumedCapacity?.(c.CapacityUnits ?? 0);
      const unprocessed = out.UnprocessedItems?.[tableName] ?? [];
      pending = unprocessed.map((r) => r.PutRequest?.Item as T);
    }
  }
  return failed;
}
