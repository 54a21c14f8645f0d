import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { marshall, type marshallOptions } from '@aws-sdk/util-dynamodb';
import { StorageRejectedError } from '../../core/errors';

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
 * DynamoDB errors about the request's data: the same request fails the same way every time. Everything else
 * (throttling, 5xx, network, credentials) may pass on a later delivery, so it is left for the queue to retry.
 */
const PERMANENT_ERRORS = new Set(['ValidationException', 'SerializationException']);

/**
 * Tells a write that can never succeed from one worth retrying, and turns the former into a StorageRejectedError
 * carrying DynamoDB's (or the SDK's) own explanation.
 */
export function classifyWriteError(
  err: unknown,
  items: readonly Record<string, unknown>[],
  options: marshallOptions = {},
): unknown {
  if (!(err instanceof Error)) return err;
  const fault = (err as { $fault?: string }).$fault;
  if (fault === 'client' && PERMANENT_ERRORS.has(err.name)) {
    return new StorageRejectedError(`${err.name}: ${err.message}`, { cause: err });
  }
  // The SDK marshals before sending, so its refusals (numbers past MAX_SAFE_INTEGER, an own `constructor` key)
  // carry no response metadata; marshalling the items again tells them from network errors.
  if ((err as { $metadata?: unknown }).$metadata === undefined) {
    for (const item of items) {
      try {
        marshall(item, options);
      } catch (marshalError) {
        return new StorageRejectedError(
          `the AWS SDK cannot write the item: ${(marshalError as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  }
  return err;
}

function marshallOptionsOf(doc: DynamoDBDocumentClient): marshallOptions {
  return (
    (doc.config as { translateConfig?: { marshallOptions?: marshallOptions } }).translateConfig
      ?.marshallOptions ?? {}
  );
}

/**
 * Writes items with BatchWriteItem in chunks of 25, retrying UnprocessedItems with exponential back-off and jitter.
 * `keyOf` identifies an item: a chunk never holds the same key twice (DynamoDB rejects such a request).
 * Returns the items still unwritten after the last attempt. A request DynamoDB refuses for good throws a
 * StorageRejectedError; any other failure is rethrown as it is.
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
      let out: BatchWriteCommandOutput;
      try {
        out = await doc.send(
          new BatchWriteCommand({
            RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
            ReturnConsumedCapacity: onConsumedCapacity ? 'TOTAL' : 'NONE',
          }),
        );
      } catch (err) {
        throw classifyWriteError(err, pending, marshallOptionsOf(doc));
      }
      for (const c of out.ConsumedCapacity ?? []) onConsumedCapacity?.(c.CapacityUnits ?? 0);
      const unprocessed = out.UnprocessedItems?.[tableName] ?? [];
      pending = unprocessed.map((r) => r.PutRequest?.Item as T);
    }
  }
  return failed;
}
