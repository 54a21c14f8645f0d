import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { publishAs } from '../helpers/mqtt';
import { readOutbox as outbox } from '../helpers/outbox';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

interface BinItem {
  binId: string;
  fillPct: number;
  ratePctPerHour: number | null;
  thresholdPct: number;
  thresholdAt: string | null;
  aboveThreshold: boolean;
  forecast: string;
  lastCollection: { at: string; fromPct: number; toPct: number } | null;
  location: { lat: number; lon: number };
}

const QUARTER = 15 * 60_000;
const TOWN = 'Tashkurgan Town';

describe('waste-bin operations through the local runtime', () => {
  let dir: string;
  let runtime: LocalRuntime;
  let api: ReturnType<typeof apiClient>;
  // Six hours of readings every 15 minutes, ending an hour ago; the collection round comes after them.
  const t0 = Date.now() - 7 * 3_600_000;
  let seq = 0;

  /** Publishes each bin's samples as one batch message from that bin over MQTT, then waits for ingest. */
  async function publish(bins: Record<string, { ts: number; m: Record<string, number | boolean> }[]>) {
    for (const [binId, samples] of Object.entries(bins)) {
      const payload = JSON.stringify({
        v: 1,
        samples: samples.map((s) => ({ ...s, seq: seq++ })),
        battery_pct: 80,
      });
      await publishAs(runtime, binId, [{ topic: `dt/bin/${binId}`, payload }]);
    }
    await runtime.router.idle();
  }

  /** A bin filling steadily from `from` % at `perHour` %/h over the six hours, with a little ultrasonic jitter. */
  const filling = (from: number, perHour: number) =>
    Array.from({ length: 25 }, (_, i) => ({
      ts: t0 + i * QUARTER,
      m: {
        fill_pct: from + (perHour * i) / 4 + ((i * 7) % 5) / 10 - 0.2,
        temperature_c: 3 + (i % 4) / 10,
        tilt: false,
      },
    }));

  beforeAll(async () => {
    dir = await makeTempDir();
    runtime = await startTestRuntime(dir);
    api = apiClient(runtime);
  });
  afterAll(async () => {
    await runtime.stop();
    await removeTempDir(dir);
  });

  it('lists the bins to collect within six hours, most urgent first', async () => {
    await publish({
      'bin-bazaar-01': filling(20, 7.5),
      'bin-bazaar-02': filling(55, 5),
      'bin-bazaar-03': filling(10, 2),
      'bin-school-01': filling(40, 5),
    });

    const due = await api.get<{ items: BinItem[] }>(
      `/bins?township=${encodeURIComponent(TOWN)}&needsCollectionWithin=PT6H`,
    );
    const bad = await api.get<{ message: string }>('/bins?needsCollectionWithin=six%20hours');

    expect(due.status).toBe(200);
    // Above its market threshold (75 %) first, then 75 % in ~1.3 h, then the school bin's 85 % in ~3 h.
    expect(due.body.items.map((b) => b.binId)).toEqual(['bin-bazaar-02', 'bin-bazaar-01', 'bin-school-01']);
    const [full, market, school] = due.body.items;
    expect(full).toMatchObject({ aboveThreshold: true, thresholdPct: 75 });
    expect(market).toMatchObject({
      forecast: 'ok',
      aboveThreshold: false,
      thresholdPct: 75,
      location: { lat: 37.805 },
    });
    expect(market?.ratePctPerHour).toBeCloseTo(7.5, 0);
    expect(school).toMatchObject({ thresholdPct: 85 });
    expect(Date.parse(market?.thresholdAt as string)).toBeLessThan(Date.parse(school?.thresholdAt as string));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(
      /needsCollectionWithin: "six hours" is not an ISO-8601 duration; use e\.g\. PT6H/,
    );
  });

  it('records a collection round as one event per bin, reported per township and waste stream', async () => {
    const emptied = (toPct: number) => [
      { ts: t0 + 25 * QUARTER, m: { fill_pct: toPct, temperature_c: 3, tilt: false } },
      { ts: t0 + 26 * QUARTER, m: { fill_pct: toPct + 1, temperature_c: 3, tilt: false } },
    ];
    await publish({ 'bin-bazaar-02': emptied(4), 'bin-school-01': emptied(6) });

    const report = await api.get<{
      total: number;
      byWasteStream: Record<string, number>;
      townships: { township: string; collections: number; events: { binId: string; at: string }[] }[];
    }>(`/bins/collections?township=${encodeURIComponent(TOWN)}&from=${t0}`);
    const due = await api.get<{ items: BinItem[] }>(
      `/bins?township=${encodeURIComponent(TOWN)}&needsCollectionWithin=PT6H`,
    );
    const emptiedBin = await api.get<BinItem & { collections: unknown[] }>('/bins/bin-bazaar-02');

    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ total: 2, byWasteStream: { kitchen: 1, residual: 1 } });
    expect(report.body.townships).toEqual([expect.objectContaining({ township: TOWN, collections: 2 })]);
    expect(report.body.townships[0]?.events.map((e) => [e.binId, Date.parse(e.at)])).toEqual([
      ['bin-bazaar-02', t0 + 25 * QUARTER],
      ['bin-school-01', t0 + 25 * QUARTER],
    ]);
    expect(due.body.items.map((b) => b.binId)).toEqual(['bin-bazaar-01']);
    expect(emptiedBin.body).toMatchObject({
      fillPct: 5,
      forecast: 'not_enough_data',
      lastCollection: { at: new Date(t0 + 25 * QUARTER).toISOString(), toPct: 4 },
    });
    expect(emptiedBin.body.collections).toHaveLength(1);
  });

  it('sends a bin fire to the sanitation crew lead and the county duty officer, once each', async () => {
    const now = Date.now();
    await publish({
      'bin-dabudar-01': [3, 3.3, 74].map((c, i) => ({
        ts: now - (2 - i) * QUARTER - 60_000,
        m: { fill_pct: 35 + i, temperature_c: c, tilt: false },
      })),
    });

    const fire = (await outbox(runtime)).filter(
      (l) => l.deviceId === 'bin-dabudar-01' && l.severity === 'critical',
    );
    const alarms = await api.get<{
      items: { alarmId: string; condition: string; metric: string; severity: string }[];
    }>('/alarms?deviceId=bin-dabudar-01');

    expect(fire.map((l) => [l.audience, l.to]).sort()).toEqual([
      ['sanitation', '+8613800000006'],
      ['supervisors', '+8613800000007'],
    ]);
    expect(new Set(fire.map((l) => l.alarmId)).size).toBe(1);
    expect(fire[0]?.text).toMatch(/疑似起火 温度74℃/);
    expect(alarms.body.items).toEqual([
      expect.objectContaining({ condition: 'fire', metric: 'temperature_c', severity: 'critical' }),
    ]);
  });
});
