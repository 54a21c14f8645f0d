import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import type { Device } from '../../functions/core/registry';
import type { LocalRuntime } from '../../infra/local/runtime';
import { connectDevice, deviceCredentials } from '../helpers/mqtt';
import { apiClient } from '../helpers/runtime';
import { binMetrics, waterMetrics } from '../helpers/telemetry';

export interface PipelineRun {
  messages: number;
  samples: number;
  stored: number;
  seconds: number;
  samplesPerSecond: number;
  batches: number;
  /** Mean bytes IoT Core would meter per publish: payload + topic. */
  meanPublishBytes: number;
  /** Mean size of the rule envelope the queue would carry. */
  meanEnvelopeBytes: number;
  iotBlocks: number;
  sqsChunks: number;
}

/**
 * Publish → stored through the local runtime: every fleet device connects with a real MQTT client and publishes
 * `messagesPerDevice` single-sample messages with QoS 1 (pipelined, as a device draining its buffer would); the clock
 * stops when the router is idle, i.e. every sample has been through the ingest handler into dynalite.
 */
export async function pipelineBench(
  runtime: LocalRuntime,
  options: { runs: number; messagesPerDevice: number; blockBytes: number; chunkBytes: number },
): Promise<PipelineRun[]> {
  const devices: Device[] = runtime.devices;
  const api = apiClient(runtime);
  const results: PipelineRun[] = [];
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 20 * 3_600_000;
  let seq = 0;
  for (let run = 0; run < options.runs; run++) {
    const clients = new Map<string, MqttClient>();
    for (const d of devices)
      clients.set(d.id, await connectDevice(runtime.mqttPort, d.id, deviceCredentials(runtime, d.id)));
    const firstSeq = seq;
    const publishes: { device: Device; topic: string; payload: Buffer }[] = [];
    for (let i = 0; i < options.messagesPerDevice; i++) {
      for (const device of devices) {
        const ts = base + seq * 1000;
        const m = device.kind === 'water' ? waterMetrics(seq) : binMetrics(seq);
        publishes.push({
          device,
          topic: `dt/${device.kind}/${device.id}`,
          payload: Buffer.from(JSON.stringify({ v: 1, ts, seq, m, battery_pct: 80 })),
        });
        seq++;
      }
    }
    const before = { ...runtime.router.stats };

    const started = performance.now();
    await Promise.all(
      publishes.map((p) =>
        (clients.get(p.device.id) as MqttClient).publishAsync(p.topic, p.payload, { qos: 1 }),
      ),
    );
    await runtime.router.idle();
    const seconds = (performance.now() - started) / 1000;

    await Promise.all([...clients.values()].map((c) => c.endAsync()));
    let stored = 0;
    const from = base + firstSeq * 1000;
    const to = base + (seq - 1) * 1000;
    for (const d of devices) {
      let cursor: string | undefined;
      do {
        const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await api.get<{ items: unknown[]; nextCursor?: string }>(
          `/devices/${d.id}/readings?from=${from}&to=${to}&limit=1000${after}`,
        );
        stored += page.body.items.length;
        cursor = page.body.nextCursor;
      } while (cursor);
    }
    const publishBytes = publishes.map((p) => p.payload.length + Buffer.byteLength(p.topic));
    const envelopeBytes = publishes.map(
      (p) =>
        JSON.stringify({
          payload: p.payload.toString('base64'),
          topic: p.topic,
          clientId: p.device.id,
          receivedAt: Date.now(),
        }).length,
    );
    results.push({
      messages: publishes.length,
      samples: publishes.length,
      stored,
      seconds,
      samplesPerSecond: publishes.length / seconds,
      batches: runtime.router.stats.batches - before.batches,
      meanPublishBytes: mean(publishBytes),
      meanEnvelopeBytes: mean(envelopeBytes),
      iotBlocks: publishBytes.reduce((n, b) => n + Math.max(1, Math.ceil(b / options.blockBytes)), 0),
      sqsChunks: envelopeBytes.reduce((n, b) => n + Math.max(1, Math.ceil(b / options.chunkBytes)), 0),
    });
  }
  return results;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
