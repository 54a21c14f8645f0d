import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { closed, connectDevice, deviceCredentials, publishAs, publishQos1 } from '../helpers/mqtt';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { batchPayload, binMetrics, DAY, HOUR, json, MINUTE, singlePayload } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

interface Reading {
  ts: number;
  seq: number;
  time: string;
  m: Record<string, number | boolean>;
  batteryPct?: number;
}
interface ReadingsPage {
  items: Reading[];
  nextCursor?: string;
}
interface QuarantineItem {
  reason: string;
  deviceId?: string;
  clientId?: string;
  topic: string;
  message: string;
  payloadText: string;
}

/** Sample times in the recent past, whole minutes, so they pass the contract's clock checks. */
const BASE = Math.floor((Date.now() - 6 * HOUR) / MINUTE) * MINUTE;
const range = `from=${BASE - DAY}&to=${BASE + DAY}`;

let dir: string;
let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  dir = await makeTempDir('pamir-e2e-');
  runtime = await startTestRuntime(dir);
  api = apiClient(runtime);
});

afterAll(async () => {
  await runtime?.stop();
  await removeTempDir(dir);
});

async function readings(deviceId: string, query = ''): Promise<Reading[]> {
  const items: Reading[] = [];
  let cursor: string | undefined;
  do {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await api.get<ReadingsPage>(
      `/devices/${deviceId}/readings?${range}&limit=1000${query}${after}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

async function quarantine(): Promise<QuarantineItem[]> {
  const res = await api.get<{ items: QuarantineItem[] }>('/quarantine?limit=500');
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('local runtime end to end: MQTT in, HTTP API out', () => {
  it('refuses API calls without the bearer token, or with a wrong one', async () => {
    const without = await api.get('/devices', null);
    const wrong = await api.get('/devices', 'not-the-token');

    expect([without.status, wrong.status]).toEqual([401, 401]);
  });

  it('serves the example fleet at GET /devices', async () => {
    const res = await api.get<{ items: { id: string }[] }>('/devices');

    expect(res.status).toBe(200);
    expect(res.body.items.map((d) => d.id)).toEqual(
      expect.arrayContaining(['wq-town-outlet', 'bin-bazaar-01']),
    );
  });

  it('stores single samples published with QoS 1 and serves them in time order', async () => {
    await publishAs(runtime, 'wq-town-outlet', [
      { topic: 'dt/water/wq-town-outlet', payload: singlePayload(BASE + 2 * MINUTE, 3, { battery_pct: 86 }) },
      { topic: 'dt/water/wq-town-outlet', payload: singlePayload(BASE, 1) },
      { topic: 'dt/water/wq-town-outlet', payload: singlePayload(BASE + MINUTE, 2) },
    ]);
    await publishAs(runtime, 'bin-bazaar-01', [
      {
        topic: 'dt/bin/bin-bazaar-01',
        payload: json({ v: 1, ts: BASE, seq: 40, m: binMetrics(), battery_pct: 71 }),
      },
    ]);

    await runtime.router.idle();

    const water = await readings('wq-town-outlet');
    const bin = await readings('bin-bazaar-01');
    expect(water.map((r) => [r.ts - BASE, r.seq])).toEqual([
      [0, 1],
      [MINUTE, 2],
      [2 * MINUTE, 3],
    ]);
    expect(water[2]?.batteryPct).toBe(86);
    expect(bin).toEqual([expect.objectContaining({ seq: 40, m: binMetrics(), batteryPct: 71 })]);
  });

  it('stores a 50-sample backfill batch and pages through it with the cursor', async () => {
    await publishAs(runtime, 'wq-dabudar-outlet', [
      {
        topic: 'dt/water/wq-dabudar-outlet',
        payload: batchPayload(BASE - 50 * MINUTE, 50, 1000, { battery_pct: 64 }),
      },
    ]);

    await runtime.router.idle();

    const pages: number[] = [];
    const items: Reading[] = [];
    let cursor: string | undefined;
    do {
      const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.get<ReadingsPage>(
        `/devices/wq-dabudar-outlet/readings?${range}&limit=20${after}`,
      );
      pages.push(res.body.items.length);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(items.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i));
    expect(pages.slice(0, 3)).toEqual([20, 20, 10]);
    expect(items.at(-1)?.batteryPct).toBe(64);
  });

  it('stores a duplicate publish once', async () => {
    const payload = singlePayload(BASE, 7);

    await publishAs(runtime, 'wq-tiznap-well', [
      { topic: 'dt/water/wq-tiznap-well', payload },
      { topic: 'dt/water/wq-tiznap-well', payload },
    ]);
    await runtime.router.idle();

    expect((await readings('wq-tiznap-well')).map((r) => r.seq)).toEqual([7]);
  });

  it('serves as latest the newest sample by timestamp even when an older one arrives later', async () => {
    await publishAs(runtime, 'wq-town-hospital', [
      { topic: 'dt/water/wq-town-hospital', payload: singlePayload(BASE + HOUR, 2) },
    ]);
    await runtime.router.idle();
    await publishAs(runtime, 'wq-town-hospital', [
      { topic: 'dt/water/wq-town-hospital', payload: singlePayload(BASE, 1) },
    ]);
    await runtime.router.idle();

    const res = await api.get<Reading>('/devices/wq-town-hospital/latest');

    expect(res.status).toBe(200);
    expect(res.body.seq).toBe(2);
  });

  it('filters readings by metric through the API', async () => {
    await publishAs(runtime, 'wq-karasu-intake', [
      {
        topic: 'dt/water/wq-karasu-intake',
        payload: json({ v: 1, ts: BASE, seq: 1, m: { turbidity_ntu: 3.2 } }),
      },
      {
        topic: 'dt/water/wq-karasu-intake',
        payload: json({ v: 1, ts: BASE + MINUTE, seq: 2, m: { ph: 7.9 } }),
      },
    ]);
    await runtime.router.idle();

    const items = await readings('wq-karasu-intake', '&metric=ph');

    expect(items.map((r) => [r.seq, r.m])).toEqual([[2, { ph: 7.9 }]]);
  });

  it('quarantines bad messages with their reason, and the API lists them', async () => {
    const received = runtime.router.stats.received;
    await publishAs(runtime, 'wq-dabudar-spring', [
      { topic: 'dt/water/wq-dabudar-spring', payload: Buffer.from('turbidity=0.4;ph=7.1') },
      { topic: 'dt/water/wq-dabudar-spring', payload: json({ v: 1, ts: BASE, m: { ph: 7.1 } }) },
      { topic: 'dt/water/wq-dabudar-spring', payload: singlePayload(Date.now() + 3 * DAY, 9) },
      {
        topic: 'dt/water/wq-dabudar-spring',
        payload: batchPayload(BASE, 100).toString().padEnd(40_000, ' '),
      },
      { topic: 'dt/water/wq-dabudar-spring', payload: singlePayload(BASE, 10) },
    ]);
    const intruder = await connectDevice(
      runtime.mqttPort,
      'wq-tiznap-outlet',
      deviceCredentials(runtime, 'wq-tiznap-outlet'),
    );
    const refused = publishQos1(intruder, 'dt/water/wq-tiznap-school-tap', singlePayload(BASE, 5));
    await expect(refused).rejects.toThrow('connection closed before PUBACK');
    await closed(intruder);
    // The broker hands a refused publish to the router after it has dropped the connection.
    await vi.waitFor(() => expect(runtime.router.stats.received).toBe(received + 6));

    await runtime.router.idle();

    const entries = await quarantine();
    const reasons = (deviceId: string) =>
      entries
        .filter((e) => e.deviceId === deviceId)
        .map((e) => e.reason)
        .sort();
    expect(reasons('wq-dabudar-spring')).toEqual(['bad_shape', 'not_json', 'oversize', 'ts_in_future']);
    expect(entries.find((e) => e.reason === 'topic_mismatch')).toMatchObject({
      clientId: 'wq-tiznap-outlet',
      topic: 'dt/water/wq-tiznap-school-tap',
    });
    expect(entries.find((e) => e.reason === 'not_json')?.payloadText).toBe('turbidity=0.4;ph=7.1');
    expect(entries.find((e) => e.reason === 'bad_shape')?.message).toContain('seq');
    expect((await readings('wq-dabudar-spring')).map((r) => r.seq)).toEqual([10]);
    expect(await readings('wq-tiznap-school-tap')).toEqual([]);
  });

  it('answers 404 for an unknown device and 400 with a reason for a bad query', async () => {
    const unknown = await api.get<{ message: string }>('/devices/wq-nobody/readings');
    const badLimit = await api.get<{ message: string }>('/devices/wq-town-outlet/readings?limit=0');

    expect(unknown.status).toBe(404);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.message).toContain('limit');
  });
});

describe('local runtime end to end: restart', () => {
  it('keeps readings, quarantine and the API token across a stop and start on the same data dir', async () => {
    const restartDir = await makeTempDir('pamir-e2e-restart-');
    try {
      const first = await startTestRuntime(restartDir);
      await publishAs(first, 'wq-tiznap-outlet', [
        { topic: 'dt/water/wq-tiznap-outlet', payload: singlePayload(BASE, 1) },
        { topic: 'dt/water/wq-tiznap-outlet', payload: Buffer.from('{oops') },
      ]);
      await first.router.idle();
      const token = first.apiToken;
      await first.stop();

      const second = await startTestRuntime(restartDir);
      try {
        const client = apiClient(second);
        const page = await client.get<ReadingsPage>(`/devices/wq-tiznap-outlet/readings?${range}`);
        const held = await client.get<{ items: QuarantineItem[] }>('/quarantine');

        expect(second.apiToken).toBe(token);
        expect(page.body.items.map((r) => r.seq)).toEqual([1]);
        expect(held.body.items.map((e) => e.reason)).toEqual(['not_json']);
      } finally {
        await second.stop();
      }
    } finally {
      await removeTempDir(restartDir);
    }
  });
});
