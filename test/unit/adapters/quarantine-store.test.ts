import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DynamoQuarantineStore,
  QUARANTINE_SHARDS,
} from '../../../functions/adapters/dynamodb/quarantine-store';
import type { QuarantineEntry } from '../../../functions/ports/quarantine-store';
import { DAY, T0 } from '../../helpers/telemetry';

const TABLE = 'pamir-quarantine';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(DynamoDBDocumentClient);

const entry = (id: string, receivedAt: number, payload = Buffer.from('{"v":1,')): QuarantineEntry => ({
  id,
  receivedAt,
  topic: 'dt/water/wq-1',
  clientId: 'wq-1',
  deviceId: 'wq-1',
  reason: 'not_json',
  message: 'payload is not UTF-8 JSON',
  payload,
});

beforeEach(() => ddb.reset());
afterEach(() => vi.useRealTimers());

describe('DynamoDB quarantine store', () => {
  it('writes entries to the quarantine table keyed by UTC day and shard, and receive time, with a TTL', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const store = new DynamoQuarantineStore(doc, TABLE, 90);

    await store.put([entry('abc', T0 + 123)]);

    const input = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input;
    expect(Object.keys(input?.RequestItems ?? {})).toEqual([TABLE]);
    expect(input?.RequestItems?.[TABLE]?.[0]?.PutRequest?.Item).toMatchObject({
      day: `2025-11-28#${(createHash('sha256').update('abc').digest()[0] as number) % QUARANTINE_SHARDS}`,
      sk: `${T0 + 123}#abc`,
      id: 'abc',
      reason: 'not_json',
      topic: 'dt/water/wq-1',
      ttl: Math.floor((T0 + 123) / 1000) + 90 * 86_400,
    });
  });

  it('leaves out an empty payload, which DynamoDB would reject as an empty binary', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const store = new DynamoQuarantineStore(doc, TABLE, 90);

    await store.put([entry('empty', T0, Buffer.alloc(0))]);

    const item =
      ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.[0]?.PutRequest?.Item;
    expect(item?.payload).toBeUndefined();
  });

  it('throws when entries stay unprocessed, so the batch is retried', async () => {
    const stuck = entry('stuck', T0);
    ddb.on(BatchWriteCommand).resolves({
      UnprocessedItems: {
        [TABLE]: [{ PutRequest: { Item: { day: '2025-11-28', sk: `${T0}#stuck`, ...stuck } } }],
      },
    });
    const store = new DynamoQuarantineStore(doc, TABLE, 90);
    vi.useFakeTimers();

    const put = expect(store.put([stuck])).rejects.toThrow('1 quarantine entries could not be written');
    await vi.runAllTimersAsync();

    await put;
    vi.useRealTimers();
  });

  it('queries every partition of today newest first, then earlier days until the limit is reached', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [] })
      .on(QueryCommand, { ExpressionAttributeValues: { ':day': '2025-11-28#3' } })
      .resolves({
        Items: [
          {
            id: 'b',
            at: T0 + 2,
            sk: `${T0 + 2}#b`,
            topic: 't',
            reason: 'not_json',
            message: 'm',
            day: '2025-11-28#3',
          },
        ],
      })
      .on(QueryCommand, { ExpressionAttributeValues: { ':day': '2025-11-27' } })
      .resolves({
        // Written before sharding: the bare day is still read.
        Items: [
          {
            id: 'a',
            at: T0 - DAY,
            sk: `${T0 - DAY}#a`,
            topic: 't',
            reason: 'not_json',
            message: 'm',
            day: '2025-11-27',
          },
        ],
      });
    const store = new DynamoQuarantineStore(doc, TABLE, 90);

    const entries = await store.listRecent({ limit: 2, now: T0, days: 7 });

    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    const partitions = (day: string) => [
      ...Array.from({ length: QUARANTINE_SHARDS }, (_, n) => [TABLE, `${day}#${n}`, false]),
      [TABLE, day, false],
    ];
    expect(
      queries.map((q) => [q.TableName, q.ExpressionAttributeValues?.[':day'], q.ScanIndexForward]),
    ).toEqual([...partitions('2025-11-28'), ...partitions('2025-11-27')]);
    expect(entries.map((e) => e.id)).toEqual(['b', 'a']);
    expect(entries[0]?.payload).toEqual(new Uint8Array());
  });

  it('filters by device id when asked', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const store = new DynamoQuarantineStore(doc, TABLE, 90);

    await store.listRecent({ limit: 10, now: T0, days: 1, deviceId: 'wq-9' });

    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query?.FilterExpression).toBe('#dev = :dev');
    expect(query?.ExpressionAttributeValues?.[':dev']).toBe('wq-9');
  });

  it('writes at most an 8 KiB prefix with the whole length and SHA-256, and cuts over-long text', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const store = new DynamoQuarantineStore(doc, TABLE, 90);
    const payload = Buffer.alloc(100_000, 'y');

    await store.put([{ ...entry('big', T0, payload), message: 'm'.repeat(5000), clientId: 'c'.repeat(500) }]);

    const item =
      ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.[0]?.PutRequest?.Item;
    expect((item?.payload as Uint8Array | undefined)?.byteLength).toBe(8192);
    expect(item).toMatchObject({
      payloadBytes: 100_000,
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
    });
    expect((item?.message as string | undefined)?.length).toBe(1024);
    expect((item?.clientId as string | undefined)?.length).toBe(128);
  });

  it('ends a full page with a cursor that resumes after its last entry, for the same filter only', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          id: 'b',
          at: T0 + 2,
          sk: `${T0 + 2}#b`,
          topic: 't',
          reason: 'not_json',
          message: 'm',
          day: '2025-11-28',
        },
        {
          id: 'a',
          at: T0 + 1,
          sk: `${T0 + 1}#a`,
          topic: 't',
          reason: 'not_json',
          message: 'm',
          day: '2025-11-28',
        },
      ],
    });
    const store = new DynamoQuarantineStore(doc, TABLE, 90);

    const first = await store.list({ limit: 1, now: T0, reason: 'not_json' });
    await store.list({ limit: 1, now: T0, reason: 'not_json', cursor: first.cursor });
    const other = store.list({ limit: 1, now: T0, reason: 'bad_shape', cursor: first.cursor });

    expect(first.items.map((e) => e.id)).toEqual(['b']);
    const second = ddb.commandCalls(QueryCommand).slice(QUARANTINE_SHARDS + 1);
    expect(second.map((c) => c.args[0].input.ExclusiveStartKey)).toEqual([
      ...Array.from({ length: QUARANTINE_SHARDS }, (_, n) => ({ day: `2025-11-28#${n}`, sk: `${T0 + 2}#b` })),
      { day: '2025-11-28', sk: `${T0 + 2}#b` },
    ]);
    expect(second[0]?.args[0].input.FilterExpression).toBe('#reason = :reason');
    await expect(other).rejects.toThrow(/another deviceId or reason/);
  });

  it('keeps the original length and sha256 of a payload held only as a prefix, and reads them back', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const store = new DynamoQuarantineStore(doc, TABLE, 90);
    const cut = {
      ...entry('big', T0, Buffer.alloc(4096, 0x61)),
      payloadBytes: 20_971_520,
      payloadSha256: 'ab'.repeat(32),
    };

    await store.put([cut]);
    const item =
      ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.[0]?.PutRequest?.Item;
    ddb.on(QueryCommand).resolves({ Items: [item as Record<string, unknown>] });
    const [read] = await store.listRecent({ limit: 1, now: T0, days: 1 });

    expect(item).toMatchObject({ payloadBytes: 20_971_520, payloadSha256: 'ab'.repeat(32) });
    expect(read).toMatchObject({ id: 'big', payloadBytes: 20_971_520, payloadSha256: 'ab'.repeat(32) });
  });
});
