import '../../helpers/quiet-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SeriesResponse } from '../../../functions/api/types';
import { toReadingItem } from '../../../functions/core/reading-item';
import { deviceSeries } from '../../../functions/use-cases/device-series';
import { runRollupJob } from '../../../functions/use-cases/rollup-job';
import { InMemoryDeviceRegistry } from '../../helpers/fakes';
import { InMemoryRollups, PagedReadingStore } from '../../helpers/rollup-fakes';
import { DAY, HOUR, MINUTE, waterDevice, waterMetrics } from '../../helpers/telemetry';

const CL = 'free_chlorine_mg_l';
const S = Date.UTC(2026, 9, 31, 16, 0, 17); // 2026-11-01 00:00:17 China time
const END = S + 30 * DAY;
const device = waterDevice('wq-s1', { intervalS: 60 });
/** 43,200 minute samples; a chlorine loss on day 12, an impossible value now and then, a day offline. */
function chlorineAt(i: number): number {
  if (i % 997 === 0) return 25;
  if (i >= 11 * 1440 + 600 && i < 11 * 1440 + 700) return 0.1 + (i % 5) / 100;
  return waterMetrics(i)[CL] as number;
}
const samples = Array.from({ length: 30 * 1440 }, (_, i) => ({
  ts: S + i * MINUTE,
  seq: i,
  m: { ...waterMetrics(i), [CL]: chlorineAt(i) },
})).filter((s) => s.ts < S + 20 * DAY || s.ts >= S + 21 * DAY);

/** The brute force over raw: valid (within the instrument's range) chlorine of [from, to) in China-aligned buckets. */
function bruteForce(from: number, to: number, size: number | undefined) {
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const v = s.m[CL] as number;
    if (s.ts < from || s.ts >= to || v < 0 || v > 20) continue;
    const t = size === undefined ? s.ts : Math.floor((s.ts + 8 * HOUR) / size) * size - 8 * HOUR;
    buckets.set(t, [...(buckets.get(t) ?? []), v]);
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([t, vs]) => ({
      t,
      min: Math.min(...vs),
      max: Math.max(...vs),
      mean: vs.reduce((a, b) => a + b, 0) / vs.length,
      n: vs.length,
    }));
}

function expectEqualsBruteForce(res: SeriesResponse, points: number) {
  expect(res.points.length).toBeLessThanOrEqual(points);
  const expected = bruteForce(res.from, res.to, res.resolution === 'raw' ? undefined : res.bucketMs);
  expect(res.points.map(({ mean, ...p }) => p)).toEqual(expected.map(({ mean, ...p }) => p));
  for (const [i, p] of res.points.entries()) expect(p.mean).toBeCloseTo(expected[i]?.mean as number, 9);
}

describe('GET /devices/{id}/series: at most `points` points, equal to a brute force over the raw samples', () => {
  const readings = new PagedReadingStore();
  const rollups = new InMemoryRollups();
  const deps = { readings, rollups };

  beforeAll(async () => {
    await readings.putItems(samples.map((s) => toReadingItem(device.id, s, s.ts, 400)));
    // The job has rolled up everything but the last three hours.
    const clock = { now: () => END - 3 * HOUR + 5 * MINUTE };
    await runRollupJob(
      { rollups, jobStore: rollups, readings, registry: new InMemoryDeviceRegistry([device]), clock },
      { recompute: { from: S, to: END } },
    );
  });

  it('30 days (43,200 samples underneath) in ≤ 1,000 points: hourly roll-ups, raw at the edges', async () => {
    readings.queries = 0;
    const from = S + 17 * MINUTE;
    const res = await deviceSeries(deps, device, { metric: CL, from, to: END, points: 1000 });
    expect(res).toMatchObject({ resolution: 'bucket', bucketMs: HOUR, source: ['raw', 'hour'] });
    expect(res.levels).toMatchObject({ limitMin: 0.3, limitMax: 2 });
    expectEqualsBruteForce(res, 1000);
    // The chlorine loss shows in its hours' minimum; the offline day has no points.
    expect(Math.min(...res.points.map((p) => p.min))).toBeCloseTo(0.1, 9);
    expect(res.points.filter((p) => p.t >= S + 20 * DAY && p.t < S + 21 * DAY - HOUR)).toEqual([]);
    // The raw edges only: a partial first hour and the three hours not rolled up yet, a few pages.
    expect(readings.queries).toBeLessThan(10);
  });

  it('30 days in 20 points: two-day buckets from daily roll-ups, hours and raw where days are not complete', async () => {
    const res = await deviceSeries(deps, device, { metric: CL, from: S - 17 * 1000, to: END, points: 20 });
    expect(res).toMatchObject({ resolution: 'bucket', bucketMs: 2 * DAY });
    expect(res.source).toEqual(['raw', 'hour', 'day']);
    expectEqualsBruteForce(res, 20);
  });

  it('a day in 200 points: ten-minute buckets from the raw samples', async () => {
    const res = await deviceSeries(deps, device, { metric: CL, from: S + DAY, to: S + 2 * DAY, points: 200 });
    expect(res).toMatchObject({ resolution: 'bucket', bucketMs: 10 * MINUTE, source: ['raw'] });
    expectEqualsBruteForce(res, 200);
  });

  it('a range with no more samples than points: raw points, the impossible values left out', async () => {
    const from = S + 996 * MINUTE;
    const res = await deviceSeries(deps, device, { metric: CL, from, to: from + 10 * HOUR, points: 1000 });
    expect(res).toMatchObject({ resolution: 'raw', source: ['raw'] });
    expect(res.points).toHaveLength(599);
    expectEqualsBruteForce(res, 1000);
  });

  it('a metric the device does not report: no points, no levels', async () => {
    const res = await deviceSeries(deps, device, { metric: 'fluoride_mg_l', from: S, to: END, points: 1000 });
    expect(res.points).toEqual([]);
    expect(res.levels).toMatchObject({ limitMax: 1 });
    const none = await deviceSeries(deps, device, {
      metric: 'nothing_mg_l',
      from: S,
      to: S + HOUR,
      points: 1000,
    });
    expect(none).toMatchObject({ resolution: 'raw', points: [] });
    expect(none.levels).toBeUndefined();
  });
});
