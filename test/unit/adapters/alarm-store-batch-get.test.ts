import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoAlarmStore } from '../../../functions/adapters/dynamodb/alarm-store';

const TABLE = 'pamir-alarms';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => ddb.reset());

const slot = (alarmId: string) => ({ alarmId, at: 1 });
const keysOf = (call: number) =>
  (ddb.commandCalls(BatchGetCommand)[call]?.args[0].input.RequestItems?.[TABLE]?.Keys ?? []).map(
    (k) => k.alarmId as string,
  );

describe('DynamoAlarmStore.openIndexes', () => {
  it('reads every device index in BatchGetItem calls of at most 100 keys, eventually consistent', async () => {
    ddb.on(BatchGetCommand).callsFake((input) => ({
      Responses: {
        [TABLE]: input.RequestItems[TABLE].Keys.filter(
          (k: { alarmId: string }) => k.alarmId === 'dev#d7',
        ).map(() => ({ alarmId: 'dev#d7', 'limit:ph:max': slot('a1') })),
      },
    }));
    const ids = Array.from({ length: 150 }, (_, i) => `d${i}`);

    const indexes = await new DynamoAlarmStore(doc, TABLE).openIndexes([...ids, 'd7']);

    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
    expect(keysOf(0)).toHaveLength(100);
    expect(keysOf(1)).toHaveLength(50);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.ConsistentRead).toBe(
      false,
    );
    expect(indexes.size).toBe(150);
    expect(indexes.get('d7')).toEqual({ 'limit:ph:max': slot('a1') });
    expect(indexes.get('d8')).toEqual({});
  });

  it('asks again for unprocessed keys and merges what each answer held', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [{ alarmId: 'dev#a', offline: slot('x1') }] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ alarmId: 'dev#b' }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [{ alarmId: 'dev#b', 'stuck:ph': slot('x2') }] } });

    const indexes = await new DynamoAlarmStore(doc, TABLE).openIndexes(['a', 'b', 'c']);

    expect(keysOf(1)).toEqual(['dev#b']);
    expect(Object.fromEntries(indexes)).toEqual({
      a: { offline: slot('x1') },
      b: { 'stuck:ph': slot('x2') },
      c: {},
    });
  });

  it('fails rather than report an index it could not read as empty', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ alarmId: 'dev#a' }] } },
    });

    vi.useFakeTimers();
    try {
      const read = new DynamoAlarmStore(doc, TABLE).openIndexes(['a']);
      const outcome = expect(read).rejects.toThrow(/1 keys stayed unprocessed after 8 BatchGetItem attempts/);
      await vi.runAllTimersAsync();
      await outcome;
      expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(8);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('DynamoAlarmStore: the open-alarm indexes and detector states of a batch, read side by side', () => {
  it('share one BatchGetItem, eventually consistent, and each gets its own items', async () => {
    ddb.on(BatchGetCommand).callsFake((input) => ({
      Responses: {
        [TABLE]: input.RequestItems[TABLE].Keys.flatMap((k: { alarmId: string }) =>
          k.alarmId === 'dev#a'
            ? [{ alarmId: k.alarmId, offline: slot('x1') }]
            : k.alarmId === 'det#b'
              ? [{ alarmId: k.alarmId, deviceId: 'b', rev: 3, state: JSON.stringify({ v: 1, hour: 5 }) }]
              : [],
        ),
      },
    }));
    const store = new DynamoAlarmStore(doc, TABLE);

    const [indexes, states] = await Promise.all([
      store.openIndexes(['a', 'b']),
      store.detectorStates(['a', 'b']),
    ]);

    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(1);
    expect(keysOf(0).sort()).toEqual(['det#a', 'det#b', 'dev#a', 'dev#b']);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.ConsistentRead).toBe(
      false,
    );
    expect(Object.fromEntries(indexes)).toEqual({ a: { offline: slot('x1') }, b: {} });
    expect(Object.fromEntries(states)).toEqual({ b: { state: { v: 1, hour: 5 }, rev: 3 } });
    // A later read is a request of its own.
    await store.openIndexes(['c']);
    expect(keysOf(1)).toEqual(['dev#c']);
  });

  it('send more than 100 keys in requests of 100 at once, not one after another', async () => {
    let inFlight = 0;
    let most = 0;
    ddb.on(BatchGetCommand).callsFake(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { Responses: { [TABLE]: [] } };
    });
    const store = new DynamoAlarmStore(doc, TABLE);
    const ids = Array.from({ length: 100 }, (_, i) => `d${i}`);

    const [indexes, states] = await Promise.all([
      store.openIndexes(ids),
      store.detectorStates(ids.slice(0, 75)),
    ]);

    expect(ddb.commandCalls(BatchGetCommand).map((_, i) => keysOf(i).length)).toEqual([100, 75]);
    expect(most).toBe(2);
    expect(indexes.size).toBe(100);
    expect(states.size).toBe(0);
  });

  it('fail together when their shared read fails', async () => {
    ddb.on(BatchGetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const store = new DynamoAlarmStore(doc, TABLE);
    const reads = await Promise.allSettled([store.openIndexes(['a', 'b']), store.detectorStates(['a', 'b'])]);
    expect(reads.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(1);
  });
});

describe('DynamoAlarmStore.recordHeartbeats', () => {
  it('puts one heartbeat batch item for the whole invocation, expiring two days after it was written', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    ddb.on(PutCommand).resolves({});
    const beats = Array.from({ length: 30 }, (_, i) => ({ deviceId: `d${i}`, lastSeenTs: i }));
    const at = 1_700_000_000_000;

    const unwritten = await new DynamoAlarmStore(doc, TABLE).recordHeartbeats(beats, at);

    expect(unwritten).toEqual([]);
    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item ?? {});
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ status: 'heartbeat_batch', raisedAt: at, ttl: at / 1000 + 2 * 86_400 });
    expect(String(puts[0]?.alarmId)).toMatch(/^hbb#[0-9a-f-]{36}$/);
    expect(puts[0]?.seen).toEqual(Object.fromEntries(beats.map((b) => [b.deviceId, b.lastSeenTs])));
  });

  it('cuts a large invocation into items of at most about 60 KB and names the devices of a failed one', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    ddb
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(new Error('ProvisionedThroughputExceededException'))
      .resolves({});
    // 5,000 devices with 20-character ids: about 160 KB of entries.
    const beats = Array.from({ length: 5_000 }, (_, i) => ({
      deviceId: `device-${String(i).padStart(13, '0')}`,
      lastSeenTs: 1_700_000_000_000 + i,
    }));

    const unwritten = await new DynamoAlarmStore(doc, TABLE).recordHeartbeats(beats, 1);

    const seen = ddb.commandCalls(PutCommand).map((c) => Object.keys(c.args[0].input.Item?.seen ?? {}));
    expect(seen).toHaveLength(3);
    expect(seen.flat()).toEqual(beats.map((b) => b.deviceId));
    for (const ids of seen) expect(ids.length * (20 + 12)).toBeLessThanOrEqual(60_000);
    expect(unwritten).toEqual(seen[1]);
  });

  it('throws when no item could be written, so the caller logs why', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    ddb.on(PutCommand).rejects(new Error('AccessDeniedException'));
    await expect(
      new DynamoAlarmStore(doc, TABLE).recordHeartbeats([{ deviceId: 'd1', lastSeenTs: 1 }], 1),
    ).rejects.toThrow('AccessDeniedException');
  });
});
