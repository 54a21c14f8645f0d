import '../../helpers/quiet-logs';
import {
  DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchWriteAll, classifyWriteError } from '../../../functions/adapters/dynamodb/batch-write';
import { DynamoReadingStore } from '../../../functions/adapters/dynamodb/reading-store';
import { StorageRejectedError } from '../../../functions/core/errors';
import type { ReadingItem } from '../../../functions/core/reading-item';
import { buildIngestHandler } from '../../../functions/handlers/ingest-handler';
import { envelopeBody, lambdaContext, sqsEvent, sqsRecord } from '../../helpers/aws-events';
import { fixedClock, InMemoryDeviceRegistry, InMemoryQuarantineStore } from '../../helpers/fakes';
import { singlePayload, T0, waterDevice } from '../../helpers/telemetry';

const TABLE = 'pamir-readings';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  { marshallOptions: { removeUndefinedValues: true } },
);
const ddb = mockClient(DynamoDBDocumentClient);

/** DynamoDB's answer to a request it refuses, as the SDK parses it (ValidationException is not a modelled class). */
const validationException = (message: string) =>
  new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'R1' },
    message,
  });

const sentItems = () =>
  ddb
    .commandCalls(BatchWriteCommand)
    .map((c) =>
      ((c.args[0].input as BatchWriteCommandInput).RequestItems?.[TABLE] ?? []).map(
        (r) => r.PutRequest?.Item as ReadingItem,
      ),
    );

beforeEach(() => ddb.reset());
afterEach(() => ddb.reset());

describe('classifyWriteError', () => {
  it('turns a ValidationException into a StorageRejectedError carrying DynamoDB’s text', () => {
    const err = classifyWriteError(validationException('Number underflow'), []);

    expect(err).toBeInstanceOf(StorageRejectedError);
    expect((err as Error).message).toBe('ValidationException: Number underflow');
  });

  it.each([
    [
      'throttling',
      new ProvisionedThroughputExceededException({
        $metadata: { httpStatusCode: 400 },
        message: 'slow down',
      }),
    ],
    [
      'a 500',
      new DynamoDBServiceException({
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'oops',
      }),
    ],
    [
      'missing credentials',
      new DynamoDBServiceException({
        name: 'UnrecognizedClientException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'The security token included in the request is invalid.',
      }),
    ],
    ['a network error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('leaves %s as it is, for the queue to retry', (_, error) => {
    expect(classifyWriteError(error, [{ id: 'a', n: 1 }])).toBe(error);
  });

  it('recognises an item the SDK cannot marshal, which fails before any request is sent', () => {
    const sdkError = new Error('Number 10000000000000000 is greater than Number.MAX_SAFE_INTEGER.');

    const err = classifyWriteError(sdkError, [
      { id: 'ok', n: 1 },
      { id: 'bad', n: 1e16 },
    ]);

    expect(err).toBeInstanceOf(StorageRejectedError);
    expect((err as Error).message).toContain('MAX_SAFE_INTEGER');
  });

  it('batchWriteAll throws the classified error', async () => {
    ddb.on(BatchWriteCommand).rejects(validationException('Item size has exceeded the maximum allowed size'));

    await expect(batchWriteAll(doc, TABLE, [{ id: 'a' }], (i) => i.id)).rejects.toBeInstanceOf(
      StorageRejectedError,
    );
  });
});

describe('ingest with the real reading store when DynamoDB refuses one message', () => {
  function setup() {
    const quarantine = new InMemoryQuarantineStore();
    const handler = buildIngestHandler({
      registry: new InMemoryDeviceRegistry(['wq-1', 'wq-2', 'wq-3'].map((id) => waterDevice(id))),
      readings: new DynamoReadingStore(doc, TABLE, { sleep: async () => undefined }),
      quarantine,
      retentionDays: 400,
      clock: fixedClock(T0),
    });
    return { handler, quarantine };
  }
  const record = (device: string, receiveCount = 1) =>
    sqsRecord(envelopeBody(`dt/water/${device}`, singlePayload(T0, 1), device, T0 + 1_000), {
      messageId: `msg-${device}`,
      receiveCount,
    });

  it('stores the others in the same invocation, quarantines the refused one and retries nothing', async () => {
    ddb.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => {
      const items = (input.RequestItems?.[TABLE] ?? []).map((r) => r.PutRequest?.Item as ReadingItem);
      if (items.some((i) => i.deviceId === 'wq-2')) {
        throw validationException('One or more parameter values were invalid: Number underflow');
      }
      return {};
    });
    const { handler, quarantine } = setup();

    const response = await handler(
      sqsEvent([record('wq-1'), record('wq-2'), record('wq-3')]),
      lambdaContext('ingest'),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const calls = sentItems();
    expect(calls.map((items) => items.map((i) => i.deviceId))).toEqual([
      ['wq-1', 'wq-2', 'wq-3'],
      ['wq-1'],
      ['wq-2'],
      ['wq-3'],
    ]);
    expect(quarantine.entries.map((e) => [e.reason, e.deviceId])).toEqual([['storage_rejected', 'wq-2']]);
    expect(quarantine.entries[0]?.message).toContain('Number underflow');
  });

  it('reports a throttled message for retry and records it as dead_lettered on its last delivery', async () => {
    ddb.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => {
      const items = (input.RequestItems?.[TABLE] ?? []).map((r) => r.PutRequest?.Item as ReadingItem);
      if (items.some((i) => i.deviceId === 'wq-2')) {
        throw new ProvisionedThroughputExceededException({ $metadata: {}, message: 'slow down' });
      }
      return {};
    });
    const { handler, quarantine } = setup();

    const early = await handler(sqsEvent([record('wq-1', 2), record('wq-2', 2)]), lambdaContext('ingest'));
    const last = await handler(sqsEvent([record('wq-1', 5), record('wq-2', 5)]), lambdaContext('ingest'));

    expect(early).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-wq-2' }] });
    expect(last).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-wq-2' }] });
    expect(quarantine.entries.map((e) => [e.reason, e.deviceId])).toEqual([['dead_lettered', 'wq-2']]);
    expect(quarantine.entries[0]?.message).toContain('ProvisionedThroughputExceededException');
  });
});
