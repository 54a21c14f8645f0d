import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { documentClient } from '../../../functions/adapters/dynamodb/client';
import { DynamoSubscriptionStore } from '../../../functions/adapters/dynamodb/subscription-store';
import { OutboxNotifier } from '../../../functions/adapters/outbox-notifier';
import { renderNotification } from '../../../functions/core/sms/templates';
import {
  loadFleetSubscriptions,
  planFleetSync,
  type Subscription,
} from '../../../functions/core/subscription';
import { readFleetFile } from '../../../infra/fleet/read-fleet';
import { ensureTables, LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../../infra/local/dynamo';
import { readOutbox } from '../../helpers/outbox';

const NOW = Date.UTC(2025, 10, 28, 4, 0);
let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo({});
  doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
});

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

/** A fresh, empty subscriptions table per test, in the same dynalite. */
async function freshTable(): Promise<string> {
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  try {
    return (await ensureTables(client, `sub${++tables}-`)).subscriptions;
  } finally {
    client.destroy();
  }
}

function sub(subscriptionId: string, overrides: Partial<Subscription> = {}): Subscription {
  return {
    subscriptionId,
    phone: '+8613800000001',
    audience: 'operators',
    minSeverity: 'warning',
    lang: 'zh',
    createdAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

describe('DynamoDB subscription store (dynalite)', () => {
  let table: string;
  let store: DynamoSubscriptionStore;
  beforeEach(async () => {
    table = await freshTable();
    store = new DynamoSubscriptionStore(doc, table);
  });

  it('stores, reads back and replaces a subscription by id', async () => {
    const first = sub('s1', { siteIds: ['plant-town'], name: 'Night shift', providerRef: 'arn:x' });

    await store.put(first);
    await store.put({ ...first, minSeverity: 'critical' });

    expect(await store.get('s1')).toEqual({ ...first, minSeverity: 'critical' });
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.list()).toHaveLength(1);
  });

  it('leaves out absent optional fields instead of failing on them', async () => {
    await store.put({ ...sub('s1'), siteIds: undefined, name: undefined });
    expect(await store.get('s1')).toEqual(sub('s1'));
  });

  it('lists oldest first, filtered by audience, site and township', async () => {
    await store.put(sub('b', { createdAt: '2025-11-02T00:00:00.000Z', siteIds: ['plant-town', 'net-town'] }));
    await store.put(sub('a', { createdAt: '2025-11-01T00:00:00.000Z', townships: ['Dabudar'] }));
    await store.put(sub('c', { createdAt: '2025-11-03T00:00:00.000Z', audience: 'engineers' }));

    const ids = async (filter?: Parameters<DynamoSubscriptionStore['list']>[0]) =>
      (await store.list(filter)).map((s) => s.subscriptionId);

    expect(await ids()).toEqual(['a', 'b', 'c']);
    expect(await ids({ audience: 'operators' })).toEqual(['a', 'b']);
    expect(await ids({ siteId: 'net-town' })).toEqual(['b']);
    expect(await ids({ township: 'Dabudar' })).toEqual(['a']);
    expect(await ids({ audience: 'engineers', siteId: 'net-town' })).toEqual([]);
  });

  it('deletes, and says whether there was anything to delete', async () => {
    await store.put(sub('s1'));

    expect(await store.delete('s1')).toBe(true);
    expect(await store.delete('s1')).toBe(false);
    expect(await store.get('s1')).toBeUndefined();
  });

  it('lists past one scan page', async () => {
    // 60 items of 20 KB: more than the 1 MB a scan page holds.
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 60; i++) await store.put(sub(`s${String(i).padStart(2, '0')}`, { siteIds: [big] }));
    let scans = 0;
    const counting = {
      send: (command: never) => {
        scans++;
        return doc.send(command);
      },
    } as unknown as DynamoDBDocumentClient;

    const all = await new DynamoSubscriptionStore(counting, table).list();

    expect(all).toHaveLength(60);
    expect(scans).toBeGreaterThan(1);
  });
});

describe('example fleet subscriptions through the store and the outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pamir-notify-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the fleet twice without duplicates and sends a plant-outlet chlorine loss to its operators', async () => {
    const store = new DynamoSubscriptionStore(doc, await freshTable());
    const { fleet } = await readFleetFile();
    for (let load = 0; load < 2; load++) {
      const plan = planFleetSync(await store.list(), loadFleetSubscriptions(fleet, NOW + load));
      for (const s of plan.put) await store.put(s);
      for (const s of plan.remove) await store.delete(s.subscriptionId);
    }
    expect(await store.list()).toHaveLength(fleet.subscriptions.length);

    const file = join(dir, 'outbox', 'sms.jsonl');
    const outbox = new OutboxNotifier({ file, subscriptions: store, clock: { now: () => NOW } });
    const n = renderNotification(
      {
        alarmId: 'A7K2M9QXR',
        kind: 'raised',
        severity: 'critical',
        deviceId: 'wq-town-outlet',
        siteId: 'plant-town',
        siteName: 'Tashkurgan Town water plant',
        siteNameZh: '塔什库尔干镇水厂',
        township: 'Tashkurgan Town',
        measurementPoint: 'plant_outlet',
        condition: 'limit:free_chlorine_mg_l:min',
        metric: 'free_chlorine_mg_l',
        value: 0.12,
        limit: { value: 0.3, direction: 'min', citation: 'GB 5749-2022 Table 2' },
        sampleTs: NOW - 60_000,
      },
      'operators',
      NOW,
    );

    const result = await outbox.send(n);

    const lines = await readOutbox({ outboxFile: file });
    expect(result.recipients).toBe(2);
    expect(lines.map((l) => `${l.to} ${l.lang}`).sort()).toEqual(['+12025550143 en', '+8613800000001 zh']);
    expect(lines.find((l) => l.lang === 'zh')?.text).toBe(n.text.zh);
  });
});
