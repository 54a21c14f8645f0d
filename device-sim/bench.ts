import { randomBytes } from 'node:crypto';
import { fleetDevices } from '../functions/core/registry';
import { startLocalBroker } from '../infra/local/broker';
import { generateFleet } from './fleet';
import { runSimulation } from './run';
import { RunStats } from './stats';
import { localTarget } from './target';

export interface SimBenchOptions {
  /** Device connections, three water sensors to one bin sensor. */
  devices: number;
  /** Publishing time after the fleet is connected, seconds. */
  durationS: number;
  /** Reporting interval of every device, seconds (default 1). */
  intervalS?: number;
  seed?: number;
}

export interface SimBenchResult {
  devices: number;
  /** Most devices connected at once. */
  connected: number;
  connectS: number;
  durationS: number;
  sent: number;
  acked: number;
  failed: number;
  sentPerS: number;
  ackedPerS: number;
  /** publish → PUBACK latency, ms. */
  p50: number;
  p99: number;
  /** How late the scheduler published against plan, ms (p99): near zero while the process keeps up. */
  lagP99: number;
  /** Peak resident memory of the process (simulator and broker together), MB. */
  rssMb: number;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * Starts the embedded aedes broker (the one `npm start` uses) in this process, connects `devices` simulated devices
 * (one MQTT connection each, QoS 1) and lets them publish at `intervalS` for `durationS` seconds.
 */
export async function runSimBench(options: SimBenchOptions): Promise<SimBenchResult> {
  const { devices, durationS } = options;
  const seed = options.seed ?? 1;
  const water = Math.round(devices * 0.75);
  const fleet = generateFleet({
    water,
    bins: devices - water,
    townships: Math.max(1, Math.ceil(devices / 100)),
    seed,
    intervalS: options.intervalS ?? 1,
  });
  // Devices authenticate as they do against npm start; the secrets live only in this process.
  const deviceSecrets = new Map(
    fleetDevices(fleet).map((d) => [d.id, randomBytes(18).toString('base64url')]),
  );
  const broker = await startLocalBroker({
    port: 0,
    auth: { deviceSecrets, consoleToken: randomBytes(18).toString('base64url') },
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 250);
  try {
    const stats = new RunStats();
    const began = Date.now();
    let connectedAt = began;
    const result = await runSimulation({
      fleet,
      devices: fleetDevices(fleet),
      specs: [],
      seed,
      target: localTarget(`mqtt://127.0.0.1:${broker.port}`, { secret: (id) => deviceSecrets.get(id) }),
      mode: 'live',
      speed: 1,
      durationMs: durationS * 1000,
      batchSize: 100,
      basicIngest: false,
      record: false,
      stats,
      onStart: () => {
        connectedAt = Date.now();
      },
    });
    const seconds = (result.publishEndedAt - result.startedAt) / 1000;
    return {
      devices,
      connected: stats.peakConnected,
      connectS: round((connectedAt - began) / 1000),
      durationS: round(seconds),
      sent: stats.sent,
      acked: stats.acked,
      failed: stats.failed,
      sentPerS: round(stats.sent / seconds),
      ackedPerS: round(stats.acked / seconds),
      p50: round(stats.latency.quantile(0.5), 2),
      p99: round(stats.latency.quantile(0.99), 2),
      lagP99: round(stats.lag.quantile(0.99), 2),
      rssMb: Math.round(peakRss / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
    await broker.stop();
  }
}
