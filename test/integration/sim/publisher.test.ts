import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main, type Summary } from '../../../device-sim/cli';
import { fleetDevices } from '../../../functions/core/registry';
import { parseTelemetry } from '../../../functions/core/telemetry';
import { readFleetFile } from '../../../infra/fleet/read-fleet';
import { type LocalBroker, startLocalBroker } from '../../../infra/local/broker';
import { ensureDeviceSecrets } from '../../../infra/local/mqtt-credentials';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { captureIo } from '../../unit/sim/fixtures';

const CONSOLE_TOKEN = 'publisher-test-token';

interface Received {
  clientId: string;
  topic: string;
  payload: string;
  qos: number;
}

/** The embedded broker the local runtime uses (own-topic rule included), recording what devices do. */
describe('simulator against an in-process broker', () => {
  let broker: LocalBroker;
  let received: Received[] = [];
  let refused: Received[] = [];
  let connects: string[] = [];
  let disconnects: string[] = [];
  let onReceive: ((r: Received) => void) | undefined;

  let dataDir: string;

  beforeAll(async () => {
    // The secrets the simulator reads from --data-dir, as npm start writes them for the example fleet.
    dataDir = await makeTempDir('pamir-sim-broker-');
    const { fleet } = await readFleetFile(undefined);
    const deviceSecrets = await ensureDeviceSecrets(
      dataDir,
      fleetDevices(fleet).map((d) => d.id),
    );
    broker = await startLocalBroker({
      port: 0,
      auth: { deviceSecrets, consoleToken: CONSOLE_TOKEN },
      onPublish: async (packet, client) => {
        const r = {
          clientId: client.id,
          topic: packet.topic,
          payload: packet.payload.toString(),
          qos: packet.qos,
        };
        received.push(r);
        onReceive?.(r);
      },
      onRefused: (packet, client) => {
        refused.push({
          clientId: client.id,
          topic: packet.topic,
          payload: packet.payload.toString(),
          qos: packet.qos,
        });
      },
    });
    broker.broker.on('client', (c) => connects.push(c.id));
    broker.broker.on('clientDisconnect', (c) => disconnects.push(c.id));
  });
  afterAll(async () => {
    await broker.stop();
    await removeTempDir(dataDir);
  });
  afterEach(() => {
    received = [];
    refused = [];
    connects = [];
    disconnects = [];
    onReceive = undefined;
  });

  /** Town water chain and the bazaar bins: 5 devices, each reporting every simulated minute, 50 ms apart in real time. */
  const FAST = [
    '--devices',
    'plant-town,net-town,market-town',
    '--interval',
    '60',
    '--speed',
    '1200',
    '--from',
    '2025-07-15T00:00:00Z',
  ];

  async function sim(
    args: string[],
    signal?: AbortSignal,
  ): Promise<{ code: number; summary: Summary; stderr: string }> {
    const { io, stdout, stderr } = captureIo({}, signal);
    const code = await main(
      [
        '--broker',
        `mqtt://127.0.0.1:${broker.port}`,
        '--data-dir',
        dataDir,
        '--token',
        CONSOLE_TOKEN,
        '--json',
        ...args,
      ],
      io,
    );
    return { code, summary: JSON.parse(stdout()) as Summary, stderr: stderr() };
  }

  /** Seq of every valid sample a device published on its own telemetry topic, in arrival order. */
  const seqsOf = (deviceId: string) =>
    received
      .filter(
        (r) =>
          r.clientId === deviceId &&
          r.topic === `dt/${deviceId.startsWith('wq-') ? 'water' : 'bin'}/${deviceId}`,
      )
      .flatMap((r) => {
        const p = parseTelemetry({
          topic: r.topic,
          payload: Buffer.from(r.payload),
          clientId: r.clientId,
          receivedAt: Date.UTC(2025, 6, 16),
        });
        return p.ok ? p.message.samples.map((s) => s.seq) : [];
      });

  it('opens one connection per device with client id = device id, and every QoS 1 publish is acknowledged', async () => {
    const { code, summary } = await sim([...FAST, '--samples', '6', '--seed', '1']);
    const devices = ['wq-town-outlet', 'wq-town-hospital', 'bin-bazaar-01', 'bin-bazaar-02', 'bin-bazaar-03'];
    expect(code).toBe(0);
    expect(connects.sort()).toEqual([...devices].sort());
    expect(summary).toMatchObject({ devices: 5, connected: 5, sent: 30, acked: 30, failed: 0, samples: 30 });
    expect(received).toHaveLength(30);
    expect(received.every((r) => r.qos === 1 && r.topic.endsWith(`/${r.clientId}`))).toBe(true);
    for (const d of devices) expect(seqsOf(d), d).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of received) {
      const parsed = parseTelemetry({
        topic: r.topic,
        payload: Buffer.from(r.payload),
        clientId: r.clientId,
        receivedAt: Date.UTC(2025, 6, 16),
      });
      expect(parsed.ok).toBe(true);
    }
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
  });

  it('sends byte-identical payload sequences for a seed, and different ones for another seed', async () => {
    const perDevice = () => {
      const map = new Map<string, string[]>();
      for (const r of received) map.set(r.clientId, [...(map.get(r.clientId) ?? []), r.payload]);
      received = [];
      return map;
    };
    await sim([...FAST, '--samples', '4', '--seed', '5', '--scenario', 'chlorine-loss+1m,bin-fire+1m']);
    const first = perDevice();
    await sim([...FAST, '--samples', '4', '--seed', '5', '--scenario', 'chlorine-loss+1m,bin-fire+1m']);
    const second = perDevice();
    await sim([...FAST, '--samples', '4', '--seed', '6', '--scenario', 'chlorine-loss+1m,bin-fire+1m']);
    const other = perDevice();
    expect(first.size).toBe(5);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('backfills a window as samples batches of at most 100, oldest first, seq unbroken', async () => {
    const { code, summary } = await sim([
      '--devices',
      'plant-town',
      '--interval',
      '60',
      '--from',
      '2025-07-15T00:00:00Z',
      '--to',
      '2025-07-15T04:10:00Z',
      '--seed',
      '2',
    ]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ mode: 'backfill', sent: 3, acked: 3, samples: 250 });
    const batches = received.map(
      (r) => JSON.parse(r.payload) as { v: number; samples: { ts: number; seq: number }[] },
    );
    expect(batches.map((b) => b.samples.length)).toEqual([100, 100, 50]);
    const all = batches.flatMap((b) => b.samples);
    expect(all.map((s) => s.seq)).toEqual(all.map((_, i) => i));
    expect(all.every((s, i) => i === 0 || s.ts > (all[i - 1] as { ts: number }).ts)).toBe(true);
  });

  it('sends malformed messages as specified; the broker disconnects only the throwaway wrong-topic client', async () => {
    const { code, summary } = await sim([
      ...FAST,
      '--samples',
      '6',
      '--seed',
      '3',
      '--scenario',
      'malformed@wq-town-outlet+0m',
    ]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ failed: 0, refused: 1 });
    const own = received.filter((r) => r.clientId === 'wq-town-outlet');
    const reasons = own.map((r) => {
      const p = parseTelemetry({
        topic: r.topic,
        payload: Buffer.from(r.payload),
        clientId: r.clientId,
        receivedAt: Date.now(),
      });
      return p.ok ? `ok ${r.topic}` : p.reason;
    });
    expect(reasons.filter((r) => r === 'not_json')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'bad_shape')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'ok dt/bin/wq-town-outlet')).toHaveLength(1);
    expect(refused).toEqual([
      expect.objectContaining({ clientId: 'wq-town-outlet-rogue', topic: 'dt/water/wq-town-hospital' }),
    ]);
    expect(disconnects.filter((id) => id === 'wq-town-outlet-rogue')).toHaveLength(1);
    // The device's own connection saw only its final, clean disconnect, and its seq never skipped.
    expect(connects.filter((id) => id === 'wq-town-outlet')).toHaveLength(1);
    expect(disconnects.filter((id) => id === 'wq-town-outlet')).toHaveLength(1);
    expect(seqsOf('wq-town-outlet')).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reconnects a dropped device with back-off and delivers every sample', async () => {
    let kicked = false;
    onReceive = (r) => {
      if (!kicked && r.clientId === 'wq-town-outlet' && seqsOf('wq-town-outlet').length === 2) {
        kicked = true;
        // aedes keeps connected clients by id; its types do not declare the map.
        const clients = (broker.broker as unknown as { clients: Record<string, { close(): void }> }).clients;
        setImmediate(() => clients['wq-town-outlet']?.close());
      }
    };
    const { code, summary } = await sim([...FAST, '--samples', '10', '--seed', '4']);
    expect(kicked).toBe(true);
    expect(code).toBe(0);
    expect(summary.failed).toBe(0);
    expect(summary.acked).toBe(summary.sent);
    expect(summary.reconnects).toBeGreaterThanOrEqual(1);
    expect(connects.filter((id) => id === 'wq-town-outlet').length).toBeGreaterThanOrEqual(2);
    expect([...new Set(seqsOf('wq-town-outlet'))].sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('stops cleanly on Ctrl-C: no new samples, everything sent is acknowledged, summary printed', async () => {
    const controller = new AbortController();
    onReceive = () => {
      if (received.length === 3) controller.abort();
    };
    const { code, summary } = await sim([...FAST, '--seed', '6'], controller.signal);
    expect(code).toBe(0);
    expect(summary.interrupted).toBe(true);
    expect(summary.failed).toBe(0);
    expect(summary.acked).toBe(summary.sent);
    expect(summary.sent).toBeLessThan(10);
    expect(disconnects.length).toBe(5);
  });

  it('exits 2 naming the file when a device has no secret in --data-dir', async () => {
    const empty = await makeTempDir('pamir-sim-nosecrets-');
    try {
      const { io, stderr } = captureIo();
      const code = await main(
        ['--broker', `mqtt://127.0.0.1:${broker.port}`, '--data-dir', empty, ...FAST, '--samples', '1'],
        io,
      );

      expect(code).toBe(2);
      expect(stderr()).toContain(
        `no MQTT secret for 5 devices, first wq-town-outlet (${empty}/devices/wq-town-outlet.secret)`,
      );
      expect(connects).toEqual([]);
    } finally {
      await removeTempDir(empty);
    }
  });

  it('exits 3 saying where the secret lives when the broker refuses it', async () => {
    const stale = await makeTempDir('pamir-sim-stale-');
    try {
      await ensureDeviceSecrets(stale, ['wq-town-outlet', 'wq-town-hospital']);
      const { io, stderr } = captureIo();
      const code = await main(
        [
          '--broker',
          `mqtt://127.0.0.1:${broker.port}`,
          '--data-dir',
          stale,
          '--devices',
          'wq-town-outlet',
          '--samples',
          '1',
        ],
        io,
      );

      expect(code).toBe(3);
      expect(stderr()).toContain('refused wq-town-outlet: not authorized (CONNACK 4)');
      expect(stderr()).toContain('devices/wq-town-outlet.secret');
    } finally {
      await removeTempDir(stale);
    }
  });

  it('exits 3 with a clear message when nothing listens at the broker address', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { io, stderr } = captureIo();
    expect(
      await main(['--broker', `mqtt://127.0.0.1:${port}`, '--data-dir', dataDir, '--duration', '5'], io),
    ).toBe(3);
    expect(stderr()).toMatch(
      new RegExp(`connection refused by mqtt://127.0.0.1:${port}: is the local service running`),
    );
  });
});
