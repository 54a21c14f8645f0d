import '../helpers/quiet-logs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoRollupStore, MARK_RETENTION_DAYS } from '../../functions/adapters/dynamodb/rollup-store';
import { chinaDayStart } from '../../functions/core/china-calendar';
import { rollupDay, rollupHour } from '../../functions/core/rollup';
import type { RollupItem } from '../../functions/core/rollup-types';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { DAY, HOUR, MINUTE, waterDevice, waterMetrics } from '../helpers/telemetry';

const START = Date.UTC(2026, 10, 2, 16, 0, 0); // 2026-11-03 00:00 China time
const a = waterDevice('wq-s-a', { siteId: 'plant-a', township: 'North' });
const b = waterDevice('wq-s-b', { siteId: 'plant-b', township: 'North' });
const c = waterDevice('wq-s-c', { siteId: 'plant-c', township: 'South' });

let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let store: DynamoRollupStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ prefix: 'rollup-store-' });
  doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  store = new DynamoRollupStore(doc, dynamo.tableNames.rollups);
});

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

/** Two days of hourly items (one sample a minute) and their daily items for a device. */
function itemsOf(device: typeof a, days: number): RollupItem[] {
  const hours: RollupItem[] = [];
  for (let h = START; h < START + days * DAY; h += HOUR) {
    const samples = Array.from({ length: 60 }, (_, i) => ({
      ts: h + i * MINUTE,
      seq: i,
      m: waterMetrics(i),
    }));
    hours.push(rollupHour(device, h, samples, [], 1) as RollupItem);
  }
  const dayItems = [...new Set(hours.map((h) => chinaDayStart(h.start)))].map(
    (d) => rollupDay(device, d, hours, 2) as RollupItem,
  );
  return [...hours, ...dayItems];
}

describe('DynamoRollupStore (dynalite, the real SDK)', () => {
  it('writes items and reads a device-period range back whole, oldest first, across pages', async () => {
    const items = [...itemsOf(a, 40), ...itemsOf(b, 2), ...itemsOf(c, 2)];
    await store.put(items);
    const hours = await store.range(a.id, 'hour', START + HOUR, START + 40 * DAY - HOUR);
    expect(hours).toHaveLength(40 * 24 - 2);
    expect(hours[0]).toEqual(items[1]);
    expect(hours.map((h) => h.start)).toEqual([...hours.map((h) => h.start)].sort((x, y) => x - y));
    const days = await store.range(a.id, 'day', START, START + 2 * DAY);
    expect(days.map((d) => d.sk)).toEqual([`d#${START}`, `d#${START + DAY}`]);
    expect(days[0]?.tm).toBe('North#2026-11');
    expect(await store.range(a.id, 'hour', START, START)).toEqual([]);
  });

  it("lists a township's month of daily items through the sparse index, by site, device and day", async () => {
    const north = await store.dailyForTownship('North', '2026-11');
    // November from the 3rd: 28 days of device a, 2 of device b; no hourly item is in the index.
    expect(north.map((d) => d.sdd)).toEqual([
      ...Array.from({ length: 28 }, (_, i) => `plant-a#wq-s-a#2026-11-${String(3 + i).padStart(2, '0')}`),
      'plant-b#wq-s-b#2026-11-03',
      'plant-b#wq-s-b#2026-11-04',
    ]);
    expect((await store.dailyForTownship('North', '2026-11', 'plant-b')).map((d) => d.deviceId)).toEqual([
      b.id,
      b.id,
    ]);
    expect(await store.dailyForTownship('North', '2026-10')).toEqual([]);
    expect(await store.dailyForTownship('South', '2026-11')).toHaveLength(2);
  });

  it('keeps touched-hour marks by write time and merges those of a time range', async () => {
    const t = START + 5 * DAY;
    await store.mark(new Map([[a.id, [START, START + HOUR, START]]]), t);
    await store.mark(new Map([[b.id, [START]]]), t + 30 * MINUTE);
    await store.mark(
      new Map([
        [a.id, [START + 2 * HOUR]],
        [c.id, [START]],
        // A legal device id that a plain object would swallow.
        ['__proto__', [START]],
      ]),
      t + HOUR,
    );
    const all = await store.marksSince(t - 1, t + 2 * HOUR);
    expect(all.read.map((m) => m.writtenAt)).toEqual([t, t + 30 * MINUTE, t + HOUR]);
    expect(all.hours).toEqual(
      new Map([
        [a.id, [START, START + HOUR, START + 2 * HOUR]],
        [b.id, [START]],
        [c.id, [START]],
        ['__proto__', [START]],
      ]),
    );
    // Exclusive of the cursor, inclusive of the end.
    expect((await store.marksSince(t, t + 30 * MINUTE)).hours).toEqual(new Map([[b.id, [START]]]));
    expect((await store.marksSince(t + HOUR, t + 3 * HOUR)).hours).toEqual(new Map());
    // Marks already read are skipped.
    const skip = new Set(all.read.filter((m) => m.writtenAt !== t + HOUR).map((m) => m.id));
    expect((await store.marksSince(t - 1, t + 2 * HOUR, skip)).hours).toEqual(
      new Map([
        [a.id, [START + 2 * HOUR]],
        [c.id, [START]],
        ['__proto__', [START]],
      ]),
    );
  });

  it('writes a mark item that expires after the retention', async () => {
    const t = START + 9 * DAY + 17;
    await store.mark(new Map([[c.id, [START]]]), t);
    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const out = await doc.send(
      new QueryCommand({
        TableName: dynamo.tableNames.rollups,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': `touch#${String(Math.floor(t / HOUR) * HOUR).padStart(13, '0')}`,
        },
      }),
    );
    expect(out.Items).toHaveLength(1);
    expect(out.Items?.[0]).toMatchObject({
      h: [[c.id, START / HOUR]],
      ttl: Math.floor(t / 1000) + MARK_RETENTION_DAYS * 86_400,
    });
  });

  it("keeps the job's state", async () => {
    expect(await store.jobState()).toBeUndefined();
    const state = {
      cursor: START,
      owed: Object.fromEntries([
        [a.id, [START, 3]],
        ['__proto__', [START, 1, START + DAY, 2]],
      ]),
      updatedAt: START + 1,
    };
    await store.saveJobState(state);
    expect(await store.jobState()).toEqual(state);
  });
});
