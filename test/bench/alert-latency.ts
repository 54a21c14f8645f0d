import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { quantile } from '../../functions/shared/stats';
import { connectDevice, deviceCredentials } from '../helpers/mqtt';
import { startTestRuntime } from '../helpers/runtime';
import { waterMetrics } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

export interface AlertLatencyResult {
  alarms: number;
  backgroundMessagesPerSecond: number;
  latenciesMs: number[];
  p50: number;
  p99: number;
}

const TARGET = 'wq-town-outlet';

/**
 * Sample published → SMS in the outbox, through the local runtime, while every other fleet device publishes
 * ordinary samples at a steady rate. Each cycle publishes two samples below the outlet's free-chlorine minimum (the
 * on-delay is two samples) and times from the second publish to the outbox line, then recovers so the next cycle
 * raises again. Flood control is lifted for the run, as it would fold the repeated alarms.
 */
export async function alertLatencyBench(options: {
  alarms: number;
  backgroundPerSecond: number;
}): Promise<AlertLatencyResult> {
  const dir = await makeTempDir('pamir-latency-');
  const smsSeen: { at: number; text: string }[] = [];
  const runtime = await startTestRuntime(dir, {
    // Every cycle re-raises the same device's alarm: flood control and raise-SMS pacing (one raise SMS per device and
    // condition an hour) would fold all but the first; this bench times the pipeline, not those rules.
    env: { FLOOD_MAX_ALARMS: '1000000', RAISE_SMS_MIN_INTERVAL_MIN: '0' },
    log: (line) => {
      if (line.startsWith('SMS to')) smsSeen.push({ at: performance.now(), text: line });
    },
  });
  const clients: MqttClient[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const background = runtime.devices.filter((d) => d.id !== TARGET);
    for (const d of background)
      clients.push(await connectDevice(runtime.mqttPort, d.id, deviceCredentials(runtime, d.id)));
    const target = await connectDevice(runtime.mqttPort, TARGET, deviceCredentials(runtime, TARGET));
    clients.push(target);

    let seq = 0;
    let next = 0;
    timer = setInterval(() => {
      const client = clients[next % background.length] as MqttClient;
      const device = background[next % background.length];
      next++;
      if (!device) return;
      const m =
        device.kind === 'water'
          ? waterMetrics(seq)
          : { fill_pct: 40 + (seq % 5), temperature_c: 3, tilt: false };
      client
        .publishAsync(
          `dt/${device.kind}/${device.id}`,
          JSON.stringify({ v: 1, ts: Date.now(), seq: seq++, m }),
          { qos: 1 },
        )
        .catch(() => undefined);
    }, 1000 / options.backgroundPerSecond);

    let targetSeq = 0;
    const send = (chlorine: number) =>
      target.publishAsync(
        `dt/water/${TARGET}`,
        JSON.stringify({
          v: 1,
          ts: Date.now(),
          seq: targetSeq++,
          m: { ...waterMetrics(targetSeq), free_chlorine_mg_l: chlorine },
        }),
        { qos: 1 },
      );
    const waitFor = async (predicate: (s: { at: number; text: string }) => boolean, from: number) => {
      const deadline = performance.now() + 15_000;
      for (;;) {
        const hit = smsSeen.slice(from).find(predicate);
        if (hit) return hit.at;
        if (performance.now() > deadline) throw new Error('no SMS within 15 s');
        await new Promise((r) => setTimeout(r, 2));
      }
    };

    const latencies: number[] = [];
    for (let i = 0; i < options.alarms; i++) {
      await send(0.05);
      const before = smsSeen.length;
      const published = performance.now();
      await send(0.05);
      const seen = await waitFor((s) => s.text.includes('UNSAFE WATER'), before);
      latencies.push(seen - published);
      const beforeClear = smsSeen.length;
      await send(0.6);
      await waitFor((s) => s.text.includes('CLEARED'), beforeClear);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      alarms: latencies.length,
      backgroundMessagesPerSecond: options.backgroundPerSecond,
      latenciesMs: latencies.map((l) => Math.round(l)),
      p50: Math.round(quantile(sorted, 0.5)),
      p99: Math.round(quantile(sorted, 0.99)),
    };
  } finally {
    clearInterval(timer);
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await runtime.stop();
    await removeTempDir(dir);
  }
}
