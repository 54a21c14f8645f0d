import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import {
  closed,
  connectDevice,
  consoleCredentials,
  deviceCredentials,
  publishAs,
  publishQos1,
} from '../helpers/mqtt';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { HOUR, MINUTE, singlePayload } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

interface QuarantineItem {
  reason: string;
  deviceId?: string;
  clientId?: string;
  topic: string;
  message: string;
  payloadText: string;
  payloadBase64: string;
  payloadBytes: number;
  payloadSha256?: string;
}

/** The router batches for up to a second before ingest writes the quarantine. */
const SETTLE = { timeout: 15_000, interval: 100 };
const BASE = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;

let dir: string;
let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await makeTempDir('pamir-e2e-broker-');
  runtime = await startTestRuntime(dir);
  api = apiClient(runtime);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await runtime?.stop();
  await removeTempDir(dir);
});

async function quarantine(): Promise<QuarantineItem[]> {
  const res = await api.get<{ items: QuarantineItem[] }>('/quarantine?limit=500');
  expect(res.status).toBe(200);
  return res.body.items;
}

async function device(id: string): Promise<MqttClient> {
  const client = await connectDevice(runtime.mqttPort, id, deviceCredentials(runtime, id));
  clients.push(client);
  return client;
}

function refusalCode(connect: Promise<MqttClient>): Promise<unknown> {
  return connect.then(
    (c) => {
      clients.push(c);
      return 'connected';
    },
    (err: { code?: unknown }) => err.code,
  );
}

describe('local runtime broker: credentials', () => {
  it('writes one secret per registered device, readable by its owner only', async () => {
    const info = await stat(runtime.deviceSecretFile('wq-town-outlet'));

    expect(info.mode & 0o777).toBe(0o600);
    expect(runtime.allowAnonymousDevices).toBe(false);
  });

  it('refuses a device with a wrong or missing password', async () => {
    const wrong = refusalCode(
      connectDevice(runtime.mqttPort, 'wq-town-outlet', { username: 'wq-town-outlet', password: 'guess' }),
    );
    const missing = refusalCode(connectDevice(runtime.mqttPort, 'wq-town-outlet', null));

    expect([await wrong, await missing]).toEqual([4, 4]);
  });

  it('refuses a second connection of a connected device without its secret, and the device stays connected', async () => {
    const real = await device('wq-town-hospital');

    const takeover = await refusalCode(connectDevice(runtime.mqttPort, 'wq-town-hospital', null));
    await publishQos1(real, 'dt/water/wq-town-hospital', singlePayload(BASE, 1));

    expect(takeover).toBe(4);
    expect(real.connected).toBe(true);
  });

  it('lets a console subscribe to evt/#, refuses its telemetry publish and quarantines it', async () => {
    const ops = await connectDevice(runtime.mqttPort, 'ops-console-1', consoleCredentials(runtime));
    clients.push(ops);

    const granted = await ops.subscribeAsync('evt/#', { qos: 1 });
    const publish = publishQos1(ops, 'dt/water/wq-town-outlet', singlePayload(BASE, 2));

    expect(granted).toEqual([{ topic: 'evt/#', qos: 1 }]);
    await expect(publish).rejects.toThrow('connection closed before PUBACK');
    await vi.waitFor(
      async () =>
        expect((await quarantine()).filter((e) => e.clientId === 'ops-console-1')).toMatchObject([
          { reason: 'topic_mismatch', topic: 'dt/water/wq-town-outlet' },
        ]),
      SETTLE,
    );
  });

  it.each(['evt/#', 'cmd/wq-town-hospital/config', 'cmd/+/config', '#'])(
    'refuses a device subscribing to %s',
    async (filter) => {
      const snoop = await device('wq-karasu-intake');

      const outcome = await Promise.race([
        snoop.subscribeAsync(filter, { qos: 1 }).then(() => 'granted'),
        closed(snoop).then(() => 'closed'),
      ]);

      expect(outcome).toBe('closed');
    },
  );
});

describe('local runtime broker: every refused publish is quarantined', () => {
  it('keeps foo/bar, a Basic Ingest topic, a sub-topic and another device topic, each with its reason', async () => {
    const id = 'wq-tiznap-well';
    const attempts = [
      { topic: 'foo/bar', reason: 'bad_topic' },
      { topic: `$aws/rules/x/dt/water/${id}`, reason: 'bad_topic' },
      { topic: '$aws/rules/pamir_telemetry_water/dt/water/wq-town-outlet', reason: 'topic_mismatch' },
      { topic: `dt/water/${id}/extra`, reason: 'bad_topic' },
      { topic: 'dt/water/wq-town-outlet', reason: 'topic_mismatch' },
    ];
    for (const [i, a] of attempts.entries()) {
      const client = await device(id);
      await expect(publishQos1(client, a.topic, `attempt ${i}`)).rejects.toThrow('connection closed');
    }

    await vi.waitFor(async () => {
      const mine = (await quarantine()).filter((e) => e.clientId === id);
      expect(
        mine
          .map((e) => ({ topic: e.topic, reason: e.reason }))
          .sort((a, b) => a.topic.localeCompare(b.topic)),
      ).toEqual([...attempts].sort((a, b) => a.topic.localeCompare(b.topic)));
    }, SETTLE);
    const entries = (await quarantine()).filter((e) => e.clientId === id);
    expect(entries.find((e) => e.topic === 'foo/bar')).toMatchObject({
      deviceId: id,
      payloadText: expect.stringMatching(/^attempt \d$/),
      payloadBytes: 9,
      message: expect.stringContaining('is not dt/water/<deviceId> or dt/bin/<deviceId>'),
    });
  });

  it('quarantines 1 MB and 20 MB publishes as oversize with length and hash, and the small bad message sent right after', async () => {
    const id = 'wq-dabudar-outlet';
    const payloads = [1024 * 1024, 20 * 1024 * 1024].map((size) => {
      const p = Buffer.alloc(size, 0x20);
      p.write('{"v":1,"samples":[', 0);
      return p;
    });
    for (const p of payloads) {
      const client = await device(id);
      await expect(publishQos1(client, `dt/water/${id}`, p)).rejects.toThrow('connection closed');
    }
    await publishAs(runtime, id, [{ topic: `dt/water/${id}`, payload: '{"v":1,' }]);

    await vi.waitFor(async () => {
      const mine = (await quarantine()).filter((e) => e.deviceId === id);
      expect(mine.map((e) => e.reason).sort()).toEqual(['not_json', 'oversize', 'oversize']);
    }, SETTLE);
    await runtime.router.idle();
    const oversize = (await quarantine()).filter((e) => e.deviceId === id && e.reason === 'oversize');
    expect(
      oversize.map((e) => ({
        bytes: e.payloadBytes,
        sha: e.payloadSha256,
        kept: Buffer.from(e.payloadBase64, 'base64').length,
        clientId: e.clientId,
        topic: e.topic,
      })),
    ).toEqual(
      payloads
        .map((p) => ({
          bytes: p.length,
          sha: createHash('sha256').update(p).digest('hex'),
          kept: 4096,
          clientId: id,
          topic: `dt/water/${id}`,
        }))
        .reverse(),
    );
    expect(oversize[0]?.message).toContain('131072');
    expect(oversize[0]?.payloadText.startsWith('{"v":1,"samples":[')).toBe(true);
  });
});

describe('local runtime broker with ALLOW_ANONYMOUS_DEVICES', () => {
  it('says so at start, lets a device in without its secret, and an unregistered id is quarantined as unknown_device', async () => {
    const openDir = await makeTempDir('pamir-e2e-anon-');
    const lines: string[] = [];
    const open = await startTestRuntime(openDir, {
      allowAnonymousDevices: true,
      log: (line) => lines.push(line),
    });
    try {
      const stranger = await connectDevice(open.mqttPort, 'wq-not-in-fleet', null);
      await publishQos1(stranger, 'dt/water/wq-not-in-fleet', singlePayload(BASE, 1));
      await stranger.endAsync();
      const owner = await connectDevice(open.mqttPort, 'wq-town-outlet', null);
      const takeover = await refusalCode(connectDevice(open.mqttPort, 'wq-town-outlet', null));
      await owner.endAsync();
      await open.router.idle();

      const held = await apiClient(open).get<{ items: QuarantineItem[] }>('/quarantine');
      expect(lines.some((l) => l.startsWith('WARNING: ALLOW_ANONYMOUS_DEVICES=1'))).toBe(true);
      expect(open.allowAnonymousDevices).toBe(true);
      expect(takeover).toBe(5);
      expect(held.body.items.map((e) => [e.deviceId, e.reason])).toEqual([
        ['wq-not-in-fleet', 'unknown_device'],
      ]);
    } finally {
      await open.stop();
      await removeTempDir(openDir);
    }
  });
});
