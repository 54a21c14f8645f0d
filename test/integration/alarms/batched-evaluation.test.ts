import { afterEach, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../../functions/composition';
import type { Device } from '../../../functions/core/registry';
import { heartbeatPeriodMs } from '../../../functions/use-cases/evaluate-alarms';
import { type IngestRecord, ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { countCapacity } from '../../bench/capacity';
import { binDevice, binMetrics, waterDevice, waterMetrics } from '../../helpers/telemetry';
import { type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;

const water = [1, 2, 3, 4].map((n) => waterDevice(`wq-${n}`, { siteId: `plant-${n}` }));
const bins = [1, 2].map((n) => binDevice(`bin-${n}`, { siteId: `market-${n}` }));
const devices: Device[] = [...water, ...bins];

/**
 * A scripted hour for six devices: chlorine that drops below its limit and recovers, a pH excursion, a frozen
 * analyser, bins filling and being emptied, and a late sample delivered after newer ones. Each step is one message.
 */
function script(): {
  device: Device;
  ts: number;
  seq: number;
  m: Record<string, number | boolean>;
  late?: true;
}[] {
  const steps = [];
  for (let i = 0; i < 24; i++) {
    const ts = START + i * MIN;
    for (const [n, d] of water.entries()) {
      const m = waterMetrics(i + n);
      if (n === 0 && i >= 4 && i < 9) m.free_chlorine_mg_l = 0.1;
      if (n === 1 && i >= 6 && i < 8) m.ph = 9.4;
      // Frozen after 12 minutes of moving: enough before the run to tell it is improbable (core/quality.ts).
      if (n === 2 && i >= 12) m.turbidity_ntu = 0.5;
      steps.push({ device: d, ts, seq: i, m });
    }
    for (const [n, d] of bins.entries()) {
      const m = binMetrics(i);
      const full = (i % 12) + n;
      m.fill_pct = Math.min(98, 5 + full * 9);
      m.distance_mm = Math.round(1100 * (1 - (m.fill_pct as number) / 100));
      steps.push({ device: d, ts, seq: i, m });
    }
  }
  // wq-4's sample at minute 3 arrives last.
  const lateAt = steps.findIndex((s) => s.device.id === 'wq-4' && s.seq === 3);
  const [late] = steps.splice(lateAt, 1);
  return late ? [...steps, { ...late, late: true }] : steps;
}

function record(step: ReturnType<typeof script>[number], receivedAt: number, n: number): IngestRecord {
  const { device, ts, seq, m } = step;
  return {
    messageId: `m-${device.id}-${seq}-${n}`,
    body: JSON.stringify({
      payload: Buffer.from(JSON.stringify({ v: 1, ts, seq, m })).toString('base64'),
      topic: `dt/${device.kind}/${device.id}`,
      clientId: device.id,
      receivedAt,
    }),
  };
}

/** Runs the script through ingest, `perBatch` messages a batch (all devices mixed), and reports what came of it. */
async function run(h: Harness, batches: IngestRecord[][]) {
  const deps = ingestDeps(h.service);
  for (const records of batches) {
    h.clock.advance(10_000);
    expect((await ingestTelemetry(records, deps)).failedMessageIds).toEqual([]);
  }
  const alarms = [];
  for (const status of ['open', 'closed'] as const) {
    const { items } = await h.service.alarms.list({ status, limit: 100 });
    alarms.push(
      ...items.map((a) => [a.deviceId, a.condition, a.state, a.sampleTs, a.clearedSampleTs ?? null]),
    );
  }
  const collections = [];
  for (const b of bins)
    collections.push(
      ...(await h.service.binEvents.listForBin(b.id, { from: 0, to: START + 2 * 60 * MIN, limit: 100 })),
    );
  const heartbeats = (await h.service.alarms.heartbeats()).sort((a, b) =>
    a.deviceId.localeCompare(b.deviceId),
  );
  return {
    heartbeats,
    alarms: alarms.sort((a, b) => String(a).localeCompare(String(b))),
    sent: h.sent.map((n) => [n.kind, n.deviceId, n.alarmId, n.audience, n.text.en]).sort(),
    collections: collections.map((c) => [c.binId, c.ts, c.fromPct, c.toPct]),
  };
}

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.stop();
  harnesses = [];
});

describe('alarm evaluation with state read for the whole batch', () => {
  it('raises, clears and records the same as evaluating each device with its own reads', async () => {
    const steps = script();
    const perDevice = await startHarness(devices, START + 30 * MIN);
    const batched = await startHarness(devices, START + 30 * MIN);
    harnesses.push(perDevice, batched);
    const receivedAt = (s: (typeof steps)[number]) => (s.late ? START + 40 * MIN : s.ts + 2_000);

    // One device per batch: each evaluation reads its own index (GetItem).
    const alone = steps.map((s, n) => [record(s, receivedAt(s), n)]);
    // Six devices per batch: one BatchGetItem per batch for all of their indexes, one Query per device.
    const mixed: IngestRecord[][] = [];
    for (let i = 0; i < steps.length; i += devices.length)
      mixed.push(steps.slice(i, i + devices.length).map((s, n) => record(s, receivedAt(s), i + n)));

    const calls = countCapacity(batched.doc);
    const a = await run(perDevice, alone);
    const b = await run(batched, mixed);

    // Heartbeats are written once per offline threshold, so where they stand depends on how samples were batched.
    const { heartbeats: beatsA, ...restA } = a;
    const { heartbeats: beatsB, ...restB } = b;
    expect(restB).toEqual(restA);
    for (const beats of [beatsA, beatsB]) {
      expect(beats.map((h) => h.deviceId)).toEqual(devices.map((d) => d.id).sort());
      for (const beat of beats) {
        const device = devices.find((d) => d.id === beat.deviceId) as Device;
        const newest = Math.max(...steps.filter((s) => s.device.id === device.id).map((s) => s.ts));
        expect(newest - beat.lastSeenTs).toBeLessThan(heartbeatPeriodMs(device) as number);
      }
    }
    // The script does what it is for: alarms raised and cleared, a collection seen.
    expect(a.sent.filter(([kind]) => kind === 'raised').length).toBeGreaterThanOrEqual(3);
    expect(a.sent.some(([kind]) => kind === 'cleared')).toBe(true);
    expect(a.alarms.map(([device, condition]) => `${device} ${condition}`)).toEqual(
      expect.arrayContaining([
        'wq-1 limit:free_chlorine_mg_l:min',
        'wq-2 limit:ph:max',
        'wq-3 stuck:turbidity_ntu',
      ]),
    );
    expect(a.collections.length).toBeGreaterThan(0);
    // Heartbeats of several devices went out together.
    expect(calls.counts.requests.BatchWriteItemCommand).toBeGreaterThan(mixed.length);
    expect(calls.counts.requests.BatchGetItemCommand).toBeGreaterThanOrEqual(mixed.length);
  });
});
