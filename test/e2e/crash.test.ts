import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetDevices } from '../../functions/core/registry';
import { readFleetFile } from '../../infra/fleet/read-fleet';
import { deviceSecretFile } from '../../infra/local/mqtt-credentials';
import { deviceCredentials } from '../helpers/mqtt';
import { readAllReadings } from '../helpers/readings';
import { type RuntimeProcess, startRuntimeProcess } from '../helpers/runtime-process';
import { binMetrics, json, MINUTE, waterMetrics } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const MESSAGES_PER_DEVICE = 50;
/**
 * Kill once a third of the messages are acknowledged, some already stored, and the runtime holds at least this many
 * accepted messages it has not stored yet.
 */
const BACKLOG_AT_KILL = 20;
const BASE = Math.floor((Date.now() - 3 * 60 * MINUTE) / MINUTE) * MINUTE;
const tsOf = (seq: number) => BASE + seq * 1000;

let dir: string;
const running: RuntimeProcess[] = [];

beforeAll(async () => {
  dir = await makeTempDir('pamir-crash-');
});

afterAll(async () => {
  for (const r of running) await r.kill9();
  if (dir) await removeTempDir(dir);
});

async function connect(port: number, deviceId: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: deviceId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...deviceCredentials({ deviceSecretFile: (id) => deviceSecretFile(dir, id) }, deviceId),
  });
}

describe('kill -9 under load, then a restart on the same data dir', () => {
  it('stores every acknowledged message exactly once', async () => {
    const { fleet } = await readFleetFile();
    const devices = fleetDevices(fleet);
    const first = await startRuntimeProcess({ dataDir: dir });
    running.push(first);

    const key = (id: string, seq: number) => `${id}/${seq}`;
    const sent = new Set<string>();
    const acked = new Set<string>();
    let killed = false;
    const clients = await Promise.all(devices.map((d) => connect(first.mqttPort, d.id)));

    // Every device publishes its messages in order, one in flight, as a device draining its buffer does; the
    // connection dies with the runtime, and what was not acknowledged by then stays unacknowledged.
    const publishing = devices.map(async (d, i) => {
      const client = clients[i] as MqttClient;
      const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
      for (let seq = 0; seq < MESSAGES_PER_DEVICE && !killed; seq++) {
        const m = d.kind === 'water' ? waterMetrics(seq) : binMetrics(seq);
        sent.add(key(d.id, seq));
        const ok = await Promise.race([
          client.publishAsync(`dt/${d.kind}/${d.id}`, json({ v: 1, ts: tsOf(seq), seq, m }), { qos: 1 }).then(
            () => true,
            () => false,
          ),
          gone.then(() => false),
        ]);
        if (!ok) break;
        acked.add(key(d.id, seq));
      }
    });

    let backlogAtKill = 0;
    let storedAtKill = 0;
    while (!killed) {
      const stats = await first.stats();
      const total = devices.length * MESSAGES_PER_DEVICE;
      if (stats.backlog >= BACKLOG_AT_KILL && stats.delivered > 0 && acked.size >= total / 3) {
        backlogAtKill = stats.backlog;
        storedAtKill = stats.delivered;
        killed = true;
        await first.kill9();
      } else if (acked.size === sent.size && sent.size === devices.length * MESSAGES_PER_DEVICE) {
        throw new Error('every message was acknowledged before the runtime held a backlog to lose');
      }
    }
    await Promise.all(publishing);
    for (const c of clients) c.end(true);

    const second = await startRuntimeProcess({ dataDir: dir });
    running.push(second);
    await second.idle();

    const api = { base: `http://127.0.0.1:${second.httpPort}`, token: second.apiToken };
    const stored = new Map<string, number>();
    for (const d of devices) {
      const readings = await readAllReadings(api, d.id, tsOf(0), tsOf(MESSAGES_PER_DEVICE));
      for (const r of readings) stored.set(key(d.id, r.seq), (stored.get(key(d.id, r.seq)) ?? 0) + 1);
    }
    const lost = [...acked].filter((k) => !stored.has(k));
    const doubled = [...stored].filter(([, n]) => n > 1).map(([k]) => k);
    const unknown = [...stored.keys()].filter((k) => !sent.has(k));
    console.log(
      `crash test: ${sent.size} sent, ${acked.size} acknowledged, killed with ${storedAtKill} ingested and a backlog of ${backlogAtKill}, ` +
        `${second.recovered} re-queued at restart, ${stored.size} stored, ${lost.length} lost, ${doubled.length} doubled`,
    );

    // The kill really came mid-stream: messages were still unacknowledged, and accepted ones waited in the spool.
    expect(acked.size).toBeLessThan(devices.length * MESSAGES_PER_DEVICE);
    expect(second.recovered).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    expect(doubled).toEqual([]);
    expect(unknown).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(acked.size);
    await second.stop();
  });
});
