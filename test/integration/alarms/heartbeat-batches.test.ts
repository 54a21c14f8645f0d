import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAlarmStore } from '../../../functions/adapters/dynamodb/alarm-store';
import { documentClient } from '../../../functions/adapters/dynamodb/client';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../../infra/local/dynamo';

const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;
const FLEET = 1_000;
const ids = Array.from({ length: FLEET }, (_, n) => `wq-${String(n).padStart(4, '0')}`);

let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let prefix = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo({});
  doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
});

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

interface Call {
  command: string;
  input: Record<string, unknown>;
  items: number;
  /** Write units DynamoDB reported for the table (ReturnConsumedCapacity asked of every write). */
  units: number;
}

/** Records every call of `doc`, asking each write for the capacity it consumed. */
function recordCalls(): Call[] {
  const calls: Call[] = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = String(context.commandName).replace('ItemCommand', 'Command');
      if (command === 'PutCommand' || command === 'UpdateCommand') input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const output = out.output as { Items?: unknown[]; ConsumedCapacity?: { CapacityUnits?: number } };
      calls.push({
        command,
        input,
        items: output.Items?.length ?? 0,
        units: output.ConsumedCapacity?.CapacityUnits ?? 0,
      });
      return out;
    },
    { step: 'initialize', name: `recordCalls${++prefix}` },
  );
  return calls;
}

let calls: Call[];
beforeEach(() => {
  calls = recordCalls();
  return () => {
    doc.middlewareStack.remove(`recordCalls${prefix}`);
  };
});

const allItems = async () =>
  (await doc.send(new ScanCommand({ TableName: dynamo.tableNames.alarms }))).Items ?? [];
const store = () => new DynamoAlarmStore(doc, dynamo.tableNames.alarms);
const beats = (ts: number, devices = ids) => devices.map((deviceId) => ({ deviceId, lastSeenTs: ts }));
const seenOf = (list: { deviceId: string; lastSeenTs: number }[]) =>
  Object.fromEntries(list.map((b) => [b.deviceId, b.lastSeenTs]));

describe('heartbeat batches in the alarms table, against dynalite', () => {
  it('writes a 1,000-device invocation as one item with a TTL, for a few write units rather than 3,000', async () => {
    const before = new Set((await allItems()).map((i) => i.alarmId));
    expect(await store().recordHeartbeats(beats(T0), T0 + 5_000)).toEqual([]);

    const puts = calls.filter((c) => c.command === 'PutCommand');
    expect(puts).toHaveLength(1);
    // 1,000 entries of 8-character ids: about 20 KB, so about 20 units in the table (and as many in the index).
    expect(puts[0]?.units).toBeGreaterThan(0);
    expect(puts[0]?.units).toBeLessThanOrEqual(25);
    const written = (await allItems()).filter((i) => !before.has(i.alarmId));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      status: 'heartbeat_batch',
      raisedAt: T0 + 5_000,
      ttl: Math.floor((T0 + 5_000) / 1000) + 2 * 86_400,
      seen: seenOf(beats(T0)),
    });
    expect(String(written[0]?.alarmId)).toMatch(/^hbb#/);
  });

  it('reads afresh only the batches written since a time, plus every heartbeat the sweep kept', async () => {
    const writer = store();
    await writer.recordHeartbeats(beats(T0 - 10 * MIN, ['old-1', 'old-2']), T0 - 10 * MIN);
    await writer.recordHeartbeats(beats(T0 - MIN, ['new-1', 'new-2']), T0);
    await writer.recordHeartbeats(beats(T0 + MIN, ['new-2']), T0 + MIN);
    await writer.recordHeartbeat('kept-1', T0 - 20 * MIN);
    await writer.markOffline('kept-1', T0 - 20 * MIN);

    const read = await store().heartbeats({ since: T0 - 2 * MIN });
    const byId = new Map(read.map((b) => [b.deviceId, b]));

    expect(byId.has('old-1')).toBe(false);
    expect(byId.get('new-1')).toEqual({ deviceId: 'new-1', lastSeenTs: T0 - MIN });
    expect(byId.get('new-2')).toEqual({ deviceId: 'new-2', lastSeenTs: T0 + MIN });
    expect(byId.get('kept-1')).toEqual({
      deviceId: 'kept-1',
      lastSeenTs: T0 - 20 * MIN,
      offlineFor: T0 - 20 * MIN,
    });
  });

  it('warm, reads only the batches written since its last read, and keeps the newest time per device', async () => {
    const writer = store();
    const reader = store();
    const base = T0 + 1_000 * MIN;
    await writer.recordHeartbeats(beats(base, ['w-1', 'w-2']), base);
    await reader.heartbeats({ since: base - MIN });

    // A later batch, and one an invocation with a lagging clock wrote a little earlier (still within the overlap).
    await writer.recordHeartbeats(beats(base + 3 * MIN, ['w-1']), base + 3 * MIN);
    await writer.recordHeartbeats(beats(base + MIN, ['w-1', 'w-2']), base - 30_000);
    calls.splice(0);
    const warm = new Map((await reader.heartbeats()).map((b) => [b.deviceId, b.lastSeenTs]));

    expect(warm.get('w-1')).toBe(base + 3 * MIN);
    expect(warm.get('w-2')).toBe(base + MIN);
    const queries = calls.filter((c) => c.command === 'QueryCommand');
    // One query, of the batch index from a minute before the newest batch already read: no per-device item.
    expect(queries).toHaveLength(1);
    expect(queries[0]?.input).toMatchObject({ ExpressionAttributeValues: { ':from': base - MIN } });
    expect(queries[0]?.items).toBe(3);

    // The next warm read starts a minute before the newest batch now known.
    calls.splice(0);
    await reader.heartbeats();
    expect(calls.filter((c) => c.command === 'QueryCommand')[0]?.input).toMatchObject({
      ExpressionAttributeValues: { ':from': base + 2 * MIN },
    });
  });

  it("keeps the sweep's offline mark only while no newer time is known: a device that reports again clears", async () => {
    const writer = store();
    const reader = store();
    const base = T0 + 2_000 * MIN;
    await reader.heartbeats({ since: base });
    await reader.recordHeartbeat('m-1', base);
    await reader.markOffline('m-1', base);
    const marked = (await reader.heartbeats()).find((b) => b.deviceId === 'm-1');
    expect(marked).toEqual({ deviceId: 'm-1', lastSeenTs: base, offlineFor: base });
    const item = await doc.send(
      new GetCommand({ TableName: dynamo.tableNames.alarms, Key: { alarmId: 'hb#m-1' } }),
    );
    expect(item.Item).toMatchObject({ status: 'heartbeat', raisedAt: base, offlineFor: base });

    await writer.recordHeartbeats(beats(base + 5 * MIN, ['m-1']), base + 5 * MIN);
    const back = (await reader.heartbeats()).find((b) => b.deviceId === 'm-1');
    expect(back?.lastSeenTs).toBe(base + 5 * MIN);
    expect(back?.offlineFor).not.toBe(back?.lastSeenTs);
  });
});
