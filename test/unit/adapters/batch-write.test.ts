import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchWriteAll } from '../../../functions/adapters/dynamodb/batch-write';

const TABLE = 'pamir-readings';
type Item = { id: string; n: number };

const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(DynamoDBDocumentClient);
const noSleep = vi.fn(async (_ms: number) => undefined);

const items = (count: number, from = 0): Item[] =>
  Array.from({ length: count }, (_, i) => ({ id: `i${from + i}`, n: i }));
const unprocessed = (list: Item[]) => ({ [TABLE]: list.map((Item) => ({ PutRequest: { Item } })) });
const sentIds = (call: number) => {
  const input = ddb.commandCalls(BatchWriteCommand)[call]?.args[0].input as BatchWriteCommandInput;
  return (input.RequestItems?.[TABLE] ?? []).map((r) => (r.PutRequest?.Item as Item | undefined)?.id);
};

beforeEach(() => {
  ddb.reset();
  noSleep.mockClear();
});
afterEach(() => ddb.reset());

describe('batchWriteAll', () => {
  it('writes 60 items in chunks of 25, 25 and 10', async () => {
    ddb.on(BatchWriteCommand).resolves({});

    const failed = await batchWriteAll(doc, TABLE, items(60), (i) => i.id, { sleep: noSleep });

    expect(failed).toEqual([]);
    expect(ddb.commandCalls(BatchWriteCommand).map((_, i) => sentIds(i).length)).toEqual([25, 25, 10]);
  });

  it('retries only the UnprocessedItems until none are left', async () => {
    const all = items(5);
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: unprocessed(all.slice(1, 4)) })
      .resolvesOnce({ UnprocessedItems: unprocessed(all.slice(3, 4)) })
      .resolves({ UnprocessedItems: {} });

    const failed = await batchWriteAll(doc, TABLE, all, (i) => i.id, { sleep: noSleep });

    expect(failed).toEqual([]);
    expect([sentIds(0), sentIds(1), sentIds(2)]).toEqual([
      ['i0', 'i1', 'i2', 'i3', 'i4'],
      ['i1', 'i2', 'i3'],
      ['i3'],
    ]);
    expect(noSleep).toHaveBeenCalledTimes(2);
  });

  it('gives up after maxAttempts rounds and returns the items still unwritten', async () => {
    const all = items(4);
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: unprocessed(all.slice(2)) });

    const failed = await batchWriteAll(doc, TABLE, all, (i) => i.id, { maxAttempts: 3, sleep: noSleep });

    expect(failed).toEqual(all.slice(2));
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });

  it('backs off with growing delays between rounds', async () => {
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: unprocessed(items(1)) });
    vi.spyOn(Math, 'random').mockReturnValue(0.999);

    await batchWriteAll(doc, TABLE, items(1), (i) => i.id, {
      maxAttempts: 4,
      baseDelayMs: 100,
      sleep: noSleep,
    });

    vi.mocked(Math.random).mockRestore();
    const delays = noSleep.mock.calls.map(([ms]) => Math.round(ms));
    expect(delays).toEqual([100, 200, 400]);
  });

  it('removes items with the same key from one call, keeping the last', async () => {
    ddb.on(BatchWriteCommand).resolves({});

    await batchWriteAll(
      doc,
      TABLE,
      [
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
        { id: 'a', n: 3 },
      ],
      (i) => i.id,
      {
        sleep: noSleep,
      },
    );

    const input = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input as BatchWriteCommandInput;
    expect(input.RequestItems?.[TABLE]?.map((r) => r.PutRequest?.Item)).toEqual([
      { id: 'a', n: 3 },
      { id: 'b', n: 2 },
    ]);
  });

  it('asks for consumed capacity only when a listener wants it, and reports every round', async () => {
    const all = items(3);
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: unprocessed(all.slice(2)),
        ConsumedCapacity: [{ TableName: TABLE, CapacityUnits: 2 }],
      })
      .resolves({ ConsumedCapacity: [{ TableName: TABLE, CapacityUnits: 1 }] });
    const units: number[] = [];

    await batchWriteAll(doc, TABLE, all, (i) => i.id, {
      sleep: noSleep,
      onConsumedCapacity: (u) => units.push(u),
    });
    await batchWriteAll(doc, TABLE, items(1), (i) => i.id, { sleep: noSleep });

    const modes = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.ReturnConsumedCapacity);
    expect(modes).toEqual(['TOTAL', 'TOTAL', 'NONE']);
    expect(units).toEqual([2, 1]);
  });

  it('sends nothing for an empty list', async () => {
    const failed = await batchWriteAll(doc, TABLE, [], (i: Item) => i.id, { sleep: noSleep });

    expect(failed).toEqual([]);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});
