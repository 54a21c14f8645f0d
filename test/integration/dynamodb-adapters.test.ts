import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDeviceRegistry } from '../../functions/adapters/dynamodb/device-registry';
import { DynamoQuarantineStore } from '../../functions/adapters/dynamodb/quarantine-store';
import { DynamoReadingStore } from '../../functions/adapters/dynamodb/reading-store';
import { type ReadingItem, toReadingItem } from '../../functions/core/reading-item';
import { QUARANTINE_LIMITS, type QuarantineEntry } from '../../functions/ports/quarantine-store';
import { ingestTelemetry } from '../../functions/use-cases/ingest-telemetry';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { envelopeBody } from '../helpers/aws-events';
import { fixedClock } from '../helpers/fakes';
import { batchPayload, HOUR, MINUTE, sample, T0, waterDevice } from '../helpers/telemetry';

let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo({});
  doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
});

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

const readingStore = (onConsumedCapacity?: (units: number) => void) =>
  new DynamoReadingStore(doc, dynamo.tableNames.readings, onConsumedCapacity ? { onConsumedCapacity } : {});

const items = (deviceId: string, count: number, from = T0, stepMs = MINUTE): ReadingItem[] =>
  Array.from({ length: count }, (_, i) =>
    toReadingItem(deviceId, sample(from + i * stepMs, i, { ph: 7 + i / 100, turbidity_ntu: 0.4 }), T0, 400),
  );

async function allReadings(store: DynamoReadingStore, deviceId: string): Promise<ReadingItem[]> {
  return (await store.query({ deviceId, from: 0, to: T0 + 1000 * HOUR, limit: 1000 })).items;
}

describe('DynamoDB reading store against dynalite', () => {
  it('stores a redelivered message once: same device, ts and seq is the same item', async () => {
    const devices = new DynamoDeviceRegistry(doc, dynamo.tableNames.devices);
    await devices.putMany([waterDevice('it-redeliver')]);
    const store = readingStore();
    const deps = {
      registry: devices,
      readings: store,
      quarantine: new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90),
      retentionDays: 400,
      clock: fixedClock(T0),
    };
    const body = envelopeBody('dt/water/it-redeliver', batchPayload(T0, 5), 'it-redeliver', T0 + 500);

    await ingestTelemetry([{ messageId: 'first', body }], deps);
    const redelivery = await ingestTelemetry([{ messageId: 'second', body }], deps);

    expect(redelivery.failedMessageIds).toEqual([]);
    expect(await allReadings(store, 'it-redeliver')).toHaveLength(5);
  });

  it('keeps two samples with the same ts and different seq', async () => {
    const store = readingStore();

    await store.putItems([
      toReadingItem('it-same-ts', sample(T0, 1), T0, 400),
      toReadingItem('it-same-ts', sample(T0, 2), T0, 400),
    ]);

    expect((await allReadings(store, 'it-same-ts')).map((i) => i.seq)).toEqual([1, 2]);
  });

  it('returns readings in time order, whatever the order they were written in', async () => {
    const store = readingStore();
    const written = items('it-order', 12);

    await store.putItems([...written].reverse());

    expect((await allReadings(store, 'it-order')).map((i) => i.ts)).toEqual(written.map((i) => i.ts));
  });

  it('bounds a query by from and to, both inclusive', async () => {
    const store = readingStore();
    await store.putItems(items('it-range', 10));

    const page = await store.query({
      deviceId: 'it-range',
      from: T0 + 2 * MINUTE,
      to: T0 + 5 * MINUTE,
      limit: 100,
    });

    expect(page.items.map((i) => (i.ts - T0) / MINUTE)).toEqual([2, 3, 4, 5]);
  });

  it('pages through a range with the cursor, without gaps or repeats', async () => {
    const store = readingStore();
    await store.putItems(items('it-pages', 10));
    const seen: number[] = [];
    const pageSizes: number[] = [];

    let cursor: string | undefined;
    do {
      const page = await store.query({ deviceId: 'it-pages', from: T0, to: T0 + HOUR, limit: 4, cursor });
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((i) => i.seq));
      cursor = page.cursor;
    } while (cursor);

    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pageSizes.slice(0, 3)).toEqual([4, 4, 2]);
  });

  it('refuses a cursor from another device', async () => {
    const store = readingStore();
    await store.putItems(items('it-cursor-a', 3));
    const page = await store.query({ deviceId: 'it-cursor-a', from: T0, to: T0 + HOUR, limit: 1 });

    const other = store.query({
      deviceId: 'it-cursor-b',
      from: T0,
      to: T0 + HOUR,
      limit: 1,
      cursor: page.cursor,
    });

    await expect(other).rejects.toThrow('cursor does not belong to this device');
  });

  it('returns only samples carrying the metric, with only that metric', async () => {
    const store = readingStore();
    await store.putItems([
      toReadingItem('it-metric', sample(T0, 1, { ph: 7.1, turbidity_ntu: 0.3 }), T0, 400),
      toReadingItem('it-metric', sample(T0 + MINUTE, 2, { turbidity_ntu: 0.5 }), T0, 400),
      toReadingItem('it-metric', sample(T0 + 2 * MINUTE, 3, { ph: 7.2 }), T0, 400),
    ]);

    const page = await store.query({
      deviceId: 'it-metric',
      from: T0,
      to: T0 + HOUR,
      limit: 10,
      metric: 'ph',
    });

    expect(page.items.map((i) => [i.seq, i.m])).toEqual([
      [1, { ph: 7.1 }],
      [3, { ph: 7.2 }],
    ]);
  });

  it('returns newest first when asked', async () => {
    const store = readingStore();
    await store.putItems(items('it-desc', 5));

    const page = await store.query({
      deviceId: 'it-desc',
      from: T0,
      to: T0 + HOUR,
      limit: 3,
      newestFirst: true,
    });

    expect(page.items.map((i) => i.seq)).toEqual([4, 3, 2]);
  });

  it('gives as latest the newest sample by timestamp, not the last one received', async () => {
    const store = readingStore();
    await store.putItems([toReadingItem('it-latest', sample(T0 + HOUR, 50), T0 + HOUR, 400)]);

    await store.putItems([toReadingItem('it-latest', sample(T0, 10), T0 + 2 * HOUR, 400)]);

    expect((await store.latest('it-latest'))?.seq).toBe(50);
  });

  it('reports one write unit per stored sample through ReturnConsumedCapacity', async () => {
    const units: number[] = [];
    const store = readingStore((u) => units.push(u));

    await store.putItems(items('it-wcu', 30));

    expect(units.reduce((a, b) => a + b, 0)).toBe(30);
  });
});

describe('DynamoDB quarantine store against dynalite', () => {
  const entry = (id: string, receivedAt: number, deviceId = 'it-q'): QuarantineEntry => ({
    id,
    receivedAt,
    topic: `dt/water/${deviceId}`,
    clientId: deviceId,
    deviceId,
    reason: 'bad_shape',
    message: 'seq: Invalid input',
    payload: Buffer.from(`{"v":1,"id":"${id}"}`),
  });

  it('lists recent entries newest first across days, with their raw payload', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const now = Date.UTC(2026, 0, 10, 12);
    await store.put([
      entry('older', now - 26 * HOUR),
      entry('newest', now - MINUTE),
      entry('middle', now - 2 * HOUR),
    ]);

    const entries = await store.listRecent({ limit: 10, now, days: 3 });

    expect(entries.map((e) => e.id)).toEqual(['newest', 'middle', 'older']);
    expect(Buffer.from(entries[0]?.payload ?? []).toString()).toBe('{"v":1,"id":"newest"}');
  });

  it('lists only one device when asked', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const now = Date.UTC(2026, 0, 20, 12);
    await store.put([
      entry('a', now - 3, 'it-q-a'),
      entry('b', now - 2, 'it-q-b'),
      entry('c', now - 1, 'it-q-a'),
    ]);

    const entries = await store.listRecent({ limit: 10, now, days: 1, deviceId: 'it-q-a' });

    expect(entries.map((e) => e.id)).toEqual(['c', 'a']);
  });
});

describe('DynamoDB quarantine store: bounded entries and cursor paging against dynalite', () => {
  const entry = (id: string, receivedAt: number, extra: Partial<QuarantineEntry> = {}): QuarantineEntry => ({
    id,
    receivedAt,
    topic: 'dt/water/it-page',
    clientId: 'it-page',
    deviceId: 'it-page',
    reason: 'not_json',
    message: 'payload is not UTF-8 JSON',
    payload: Buffer.from(`junk ${id}`),
    ...extra,
  });

  it('records a 1 MB payload as one item: an 8 KiB prefix, the full length and its SHA-256', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const now = Date.UTC(2026, 1, 3, 12);
    const payload = Buffer.alloc(1024 * 1024, 'x');
    payload.write('{"v":1,"m":', 0);
    const long = 'm'.repeat(10_000);

    await store.put([entry('big', now, { payload, reason: 'oversize', message: long, topic: `dt/${long}` })]);
    const [read] = await store.listRecent({ limit: 1, now, days: 1 });

    expect(read?.payload.byteLength).toBe(QUARANTINE_LIMITS.payloadPrefixBytes);
    expect(Buffer.from(read?.payload ?? []).equals(payload.subarray(0, 8192))).toBe(true);
    expect(read?.payloadBytes).toBe(1024 * 1024);
    expect(read?.payloadSha256).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(read?.message.length).toBe(QUARANTINE_LIMITS.messageChars);
    expect(read?.topic.length).toBe(QUARANTINE_LIMITS.topicChars);
  });

  it('keeps the length and hash a caller already computed (a broker that never held the whole message)', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const now = Date.UTC(2026, 1, 4, 12);

    await store.put([
      entry('streamed', now, {
        payload: Buffer.from('{"v":1'),
        payloadBytes: 250e6,
        payloadSha256: 'ab'.repeat(32),
      }),
    ]);
    const [read] = await store.listRecent({ limit: 1, now, days: 1 });

    expect(read).toMatchObject({ payloadBytes: 250e6, payloadSha256: 'ab'.repeat(32) });
    expect(Buffer.from(read?.payload ?? []).toString()).toBe('{"v":1');
  });

  it('pages newest first across days with a cursor, each entry exactly once, filtered by device and reason', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const now = Date.UTC(2026, 2, 10, 12);
    const written = Array.from({ length: 23 }, (_, i) =>
      entry(`p${String(i).padStart(2, '0')}`, now - i * 3 * HOUR, {
        deviceId: i % 2 ? 'it-page-odd' : 'it-page-even',
        reason: i % 3 ? 'not_json' : 'bad_shape',
      }),
    );
    await store.put(written);

    const walk = async (q: { deviceId?: string; reason?: 'not_json' | 'bad_shape' }) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ limit: 4, now, days: 4, ...q, cursor });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 50);
      return { seen, pages };
    };

    const all = await walk({});
    const odd = await walk({ deviceId: 'it-page-odd' });
    const oddBadShape = await walk({ deviceId: 'it-page-odd', reason: 'bad_shape' });

    expect(all.seen).toEqual(written.map((e) => e.id));
    expect(all.pages).toBeGreaterThanOrEqual(6);
    expect(odd.seen).toEqual(written.filter((_, i) => i % 2).map((e) => e.id));
    expect(oddBadShape.seen).toEqual(written.filter((_, i) => i % 2 && !(i % 3)).map((e) => e.id));
  });

  it('answers a tampered cursor, or one from another filter, with a ValidationError saying what to do', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const now = Date.UTC(2026, 2, 10, 12);
    const first = await store.list({ limit: 2, now, days: 4 });
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const attempts = [
      `${first.cursor}x`,
      'not a cursor',
      forged({ day: '2026-03-10', sk: 'abc', f: '|' }),
      forged({ day: '2026-03-10', sk: `${Date.UTC(2026, 2, 9)}#x`, f: '|' }),
      forged({ day: '2999-01-01', f: '|' }),
      forged({ day: '2026-02-30', f: '|' }),
      forged({ day: '2026-03-10', f: '|', extra: 1 }),
    ];
    for (const cursor of attempts)
      await expect(store.list({ limit: 2, now, days: 4, cursor })).rejects.toThrow(/cursor is not valid/);
    await expect(
      store.list({ limit: 2, now, days: 4, cursor: first.cursor, deviceId: 'it-page-odd' }),
    ).rejects.toThrow(/another deviceId or reason/);
    expect(first.cursor).toBeDefined();
  });
});

describe('DynamoDB device registry against dynalite', () => {
  it('stores devices and reads them back, filtered', async () => {
    const registry = new DynamoDeviceRegistry(doc, dynamo.tableNames.devices);
    await registry.putMany([waterDevice('it-reg-1', { township: 'Tiznap' }), waterDevice('it-reg-2')]);

    const inTiznap = await registry.list({ township: 'Tiznap' });
    const one = await registry.get('it-reg-2');

    expect(inTiznap.map((d) => d.id)).toEqual(['it-reg-1']);
    expect(one).toEqual(waterDevice('it-reg-2'));
  });

  it('sets and clears maintenance on a registered device only', async () => {
    const registry = new DynamoDeviceRegistry(doc, dynamo.tableNames.devices);
    await registry.putMany([waterDevice('it-maint')]);

    const on = await registry.setMaintenance('it-maint', true, 'sensor swap');
    const unknown = await registry.setMaintenance('it-nobody', true);

    expect(on).toMatchObject({ maintenance: true, maintenanceReason: 'sensor swap' });
    expect(unknown).toBeUndefined();
  });
});
