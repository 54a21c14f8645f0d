import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { documentClient } from '../../../functions/adapters/dynamodb/client';
import { DynamoDeviceRegistry } from '../../../functions/adapters/dynamodb/device-registry';
import { DynamoPhoneRoutes } from '../../../functions/adapters/dynamodb/phone-route-store';
import { DynamoSubscriptionAuditLog } from '../../../functions/adapters/dynamodb/subscription-audit-log';
import { DynamoSubscriptionStore } from '../../../functions/adapters/dynamodb/subscription-store';
import { OutboxNotifier } from '../../../functions/adapters/outbox-notifier';
import { renderNotification } from '../../../functions/core/sms/templates';
import {
  loadFleetSubscriptions,
  planFleetSync,
  type Subscription,
} from '../../../functions/core/subscription';
import { fleetFileActor } from '../../../functions/core/subscription-audit';
import { syncFleet } from '../../../functions/use-cases/sync-fleet';
import { readFleetFile } from '../../../infra/fleet/read-fleet';
import { ensureTables, LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../../infra/local/dynamo';
import { readOutbox } from '../../helpers/outbox';
import { FakeSmsProvider } from '../../helpers/subscriptions';

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

/** Fresh, empty tables per test, in the same dynalite. */
async function freshTables() {
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  try {
    return await ensureTables(client, `sub${++tables}-`);
  } finally {
    client.destroy();
  }
}
async function freshTable(): Promise<string> {
  return (await freshTables()).subscriptions;
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
    expect(lines.map((l) => `${l.to} ${l.lang}`).sort()).toEqual(['+8613800000001 zh', '+8613800000008 en']);
    expect(lines.find((l) => l.lang === 'zh')?.text).toBe(n.text.zh);
  });
});

describe('phone registrations and the audit log next to the subscriptions (dynalite)', () => {
  it('keeps phone and audit items out of list, lists by phone, and pages the audit log newest first', async () => {
    const table = await freshTable();
    const store = new DynamoSubscriptionStore(doc, table);
    const phones = new DynamoPhoneRoutes(doc, table);
    const audit = new DynamoSubscriptionAuditLog(doc, table);
    await store.put(sub('s1'));
    await store.put(sub('s2', { phone: '+8613800000002', audience: 'engineers' }));
    await phones.put({ phone: '+8613800000001', providerRef: 'arn:x', filterPolicy: '{}', updatedAt: 'now' });
    const actor = { id: 'u-1', name: 'amina', role: 'admin' };
    for (let i = 0; i < 5; i++)
      await audit.record([
        {
          at: new Date(NOW + i * 1000).toISOString(),
          actor,
          action: 'create',
          subscriptionId: `s${i}`,
          phone: '+8613800000001',
          after: sub(`s${i}`),
        },
      ]);

    expect((await store.list()).map((s) => s.subscriptionId)).toEqual(['s1', 's2']);
    expect((await store.list({ phone: '+8613800000002' })).map((s) => s.subscriptionId)).toEqual(['s2']);
    expect(await phones.get('+8613800000001')).toEqual({
      phone: '+8613800000001',
      providerRef: 'arn:x',
      filterPolicy: '{}',
      updatedAt: 'now',
    });
    expect((await phones.list()).map((r) => r.phone)).toEqual(['+8613800000001']);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.page({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.subscriptionId));
      expect(page.items[0]?.actor).toEqual(actor);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['s4', 's3', 's2', 's1', 's0']);
    await expect(audit.page({ limit: 2, cursor: 'bm9wZQ' })).rejects.toThrow(/cursor is not valid/);

    await phones.delete('+8613800000001');
    expect(await phones.get('+8613800000001')).toBeUndefined();
  });

  it('loads the example fleet twice and converges: one SNS registration per phone, nothing new audited', async () => {
    const t = await freshTables();
    const provider = new FakeSmsProvider();
    const deps = {
      registry: new DynamoDeviceRegistry(doc, t.devices),
      subscriptions: new DynamoSubscriptionStore(doc, t.subscriptions),
      phoneRoutes: new DynamoPhoneRoutes(doc, t.subscriptions),
      audit: new DynamoSubscriptionAuditLog(doc, t.subscriptions),
      channel: provider,
      clock: { now: () => NOW },
      guards: { allowedCountryCodes: ['86'], maxPhones: 200 },
      actor: fleetFileActor('/srv/county.json'),
    };
    const { fleet } = await readFleetFile();
    // The visiting engineer is also the county's supervisor: two subscriptions, one phone.
    const withTwin = {
      ...fleet,
      subscriptions: [
        ...fleet.subscriptions,
        {
          phone: '+8613800000008',
          audience: 'supervisors' as const,
          minSeverity: 'critical' as const,
          lang: 'en' as const,
        },
      ],
    };

    const first = await syncFleet(withTwin, deps);
    const registered = new Map(provider.registrations);
    const second = await syncFleet(withTwin, deps);

    const phones = new Set(withTwin.subscriptions.map((s) => s.phone));
    expect(first.subscriptionsPut).toBe(withTwin.subscriptions.length);
    expect(second.phonesRouted).toBe(phones.size);
    expect(provider.registrations).toEqual(registered);
    expect(provider.registrations.size).toBe(phones.size);
    expect(provider.calls.filter((c) => c.startsWith('subscribe'))).toHaveLength(phones.size);
    expect(provider.registrations.get('+8613800000008')?.policy.$or).toHaveLength(2);
    expect((await deps.phoneRoutes.list()).length).toBe(phones.size);
    expect(await deps.subscriptions.list()).toHaveLength(withTwin.subscriptions.length);
    const audited = (await deps.audit.page({ limit: 200 })).items;
    expect(audited).toHaveLength(withTwin.subscriptions.length);
    expect(new Set(audited.map((e) => `${e.action} ${e.actor.id}`))).toEqual(
      new Set(['fleet-put fleet-file:/srv/county.json']),
    );

    // Dropping the twin sets the phone's policy back in place and audits the removal.
    await syncFleet(fleet, { ...deps, clock: { now: () => NOW + 60_000 } });
    expect(provider.registrations.get('+8613800000008')?.policy.$or).toBeUndefined();
    expect(provider.registrations.get('+8613800000008')?.ref).toBe(registered.get('+8613800000008')?.ref);
    expect((await deps.audit.page({ limit: 1 })).items[0]?.action).toBe('fleet-remove');
  });

  it('refuses a fleet file with a number outside the allowed countries and changes nothing', async () => {
    const t = await freshTables();
    const provider = new FakeSmsProvider();
    const subscriptions = new DynamoSubscriptionStore(doc, t.subscriptions);
    const { fleet } = await readFleetFile();
    const bad = {
      ...fleet,
      subscriptions: [
        ...fleet.subscriptions,
        {
          phone: '+12025550143',
          audience: 'engineers' as const,
          minSeverity: 'warning' as const,
          lang: 'en' as const,
        },
      ],
    };

    await expect(
      syncFleet(bad, {
        registry: new DynamoDeviceRegistry(doc, t.devices),
        subscriptions,
        phoneRoutes: new DynamoPhoneRoutes(doc, t.subscriptions),
        audit: new DynamoSubscriptionAuditLog(doc, t.subscriptions),
        channel: provider,
        clock: { now: () => NOW },
        guards: { allowedCountryCodes: ['86'], maxPhones: 200 },
        actor: fleetFileActor('bad.json'),
      }),
    ).rejects.toThrow(
      `fleet file refused, nothing changed: subscriptions.${fleet.subscriptions.length}.phone: +12025550143 is outside the countries SMS may go to (+86)`,
    );
    expect(await subscriptions.list()).toEqual([]);
    expect(provider.calls).toEqual([]);
  });
});
