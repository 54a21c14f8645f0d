import type { SeriesPoint, SeriesResponse } from '../api/types';
import { chinaDayStart } from '../core/china-calendar';
import { fromReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import { hourStart, levelsFor, lookbackFor, validValues } from '../core/rollup';
import { REPORT_UTC_OFFSET_MS, type RollupItem } from '../core/rollup-types';
import type { Sample } from '../core/telemetry';
import type { ReadingStore } from '../ports/reading-store';
import type { RollupStore } from '../ports/rollup-store';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../shared/time';

export const SERIES_LIMITS = {
  defaultPoints: 1000,
  maxPoints: 5000,
  /** Below an hour a bucket is made from raw samples, and only when the range holds at most this many. */
  rawBucketMaxSamples: 20_000,
} as const;

/** Bucket sizes a chart's axis reads well; buckets align to China-time hours and days. */
const BUCKETS = [
  ...[1, 2, 5, 10, 15, 30].map((m) => m * MINUTE_MS),
  ...[1, 2, 3, 6, 12].map((h) => h * HOUR_MS),
  ...[1, 2, 7, 14, 28].map((d) => d * DAY_MS),
];

export interface SeriesDeps {
  readings: ReadingStore;
  rollups: Pick<RollupStore, 'range'>;
}

export interface SeriesRequest {
  metric: string;
  /** [from, to), epoch ms. */
  from: number;
  to: number;
  points: number;
}

/** Every stored sample of a device in [from, to), in key order; stops after `max` (returns max + 1 then). */
async function readRaw(readings: ReadingStore, deviceId: string, from: number, to: number, max = Infinity) {
  const out: Sample[] = [];
  let cursor: string | undefined;
  while (from < to) {
    const limit = Math.min(1000, max - out.length + 1);
    const page = await readings.query({ deviceId, from, to: to - 1, limit, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.map(fromReadingItem));
    cursor = page.cursor;
    if (!cursor || out.length > max) break;
  }
  return out;
}

/** The samples just before `from` a stuck check at the first sample from `from` looks back over, oldest first. */
async function samplesBefore(deps: SeriesDeps, device: Device, from: number): Promise<Sample[]> {
  const n = lookbackFor(device);
  if (n <= 0 || from <= 0) return [];
  const page = await deps.readings.query({
    deviceId: device.id,
    from: 0,
    to: from - 1,
    limit: n,
    newestFirst: true,
  });
  return page.items.map(fromReadingItem).reverse();
}

/** Valid values of the metric in [from, to), judged with the samples just before `from` for the stuck check. */
async function rawValues(deps: SeriesDeps, device: Device, metric: string, from: number, to: number) {
  if (from >= to) return [];
  const [before, samples] = await Promise.all([
    samplesBefore(deps, device, from),
    readRaw(deps.readings, device.id, from, to),
  ]);
  return validValues(device, metric, samples, before);
}

/** Start of the China-time-aligned bucket of size `size` holding `t`. */
const bucketOf = (t: number, size: number) =>
  Math.floor((t + REPORT_UTC_OFFSET_MS) / size) * size - REPORT_UTC_OFFSET_MS;

class Buckets {
  private readonly byStart = new Map<number, { min: number; max: number; sum: number; n: number }>();
  constructor(private readonly size: number) {}

  add(t: number, min: number, max: number, sum: number, n: number): void {
    if (n <= 0) return;
    const start = bucketOf(t, this.size);
    const b = this.byStart.get(start);
    if (!b) this.byStart.set(start, { min, max, sum, n });
    else {
      b.min = Math.min(b.min, min);
      b.max = Math.max(b.max, max);
      b.sum += sum;
      b.n += n;
    }
  }

  points(): SeriesPoint[] {
    return [...this.byStart]
      .sort(([a], [b]) => a - b)
      .map(([t, b]) => ({ t, min: b.min, max: b.max, mean: b.sum / b.n, n: b.n }));
  }
}

/** The roll-up items of whole periods inside [from, to) that are complete, and where raw samples must fill in. */
async function rolledUp(deps: SeriesDeps, device: Device, period: 'hour' | 'day', from: number, to: number) {
  const unitStart = period === 'day' ? chinaDayStart : hourStart;
  const unit = period === 'day' ? DAY_MS : HOUR_MS;
  const first = unitStart(from) === from ? from : unitStart(from) + unit;
  const last = unitStart(to);
  if (first >= last) return { items: [] as RollupItem[], first: from, covered: from };
  let items = await deps.rollups.range(device.id, period, first, last);
  if (period === 'day') {
    // A day item made before the day ended holds only the hours rolled up by then: those days come from hours.
    const complete = items.filter((d) => d.computedAt >= d.end);
    const open = items.find((d) => d.computedAt < d.end);
    const hoursFrom = open ? open.start : (complete.at(-1)?.end ?? first);
    items = complete.filter((d) => d.start < hoursFrom);
    if (hoursFrom < last) items.push(...(await deps.rollups.range(device.id, 'hour', hoursFrom, last)));
  }
  // Hours after the newest item are not rolled up yet (the job runs every 15 min and after an hour has ended).
  const covered = items.reduce((end, i) => Math.max(end, i.end), first);
  return { items, first, covered };
}

/**
 * One metric of one device over [from, to) as at most `points` points: raw samples when there are no more than that,
 * else min/max/mean buckets from hourly roll-ups (daily ones for buckets of a day or more), with raw samples for the
 * partial hours at the range's ends and the hours not rolled up yet. Values the quality gate flags are left out, as
 * the roll-ups leave them out.
 */
export async function deviceSeries(
  deps: SeriesDeps,
  device: Device,
  req: SeriesRequest,
): Promise<SeriesResponse> {
  const { metric, from, to, points } = req;
  const levels = levelsFor(device)[metric];
  const base = { deviceId: device.id, metric, from, to, ...(levels ? { levels } : {}) };
  const span = to - from;
  const expected = span / (device.intervalS * 1000);
  if (expected <= points) {
    const samples = await readRaw(deps.readings, device.id, from, to, points);
    if (samples.length <= points) {
      const values = validValues(device, metric, samples, await samplesBefore(deps, device, from));
      return {
        ...base,
        resolution: 'raw',
        source: ['raw'],
        points: values.map(({ ts, v }) => ({ t: ts, min: v, max: v, mean: v, n: 1 })),
      };
    }
  }
  // One bucket more than the span needs: a range rarely starts on a bucket boundary.
  let size =
    BUCKETS.find((b) => Math.ceil(span / b) + 1 <= points) ??
    Math.ceil(span / (points - 1) / DAY_MS) * DAY_MS;
  if (size < HOUR_MS && expected > SERIES_LIMITS.rawBucketMaxSamples) size = HOUR_MS;
  const buckets = new Buckets(size);
  if (size < HOUR_MS) {
    for (const { ts, v } of await rawValues(deps, device, metric, from, to)) buckets.add(ts, v, v, v, 1);
    return { ...base, resolution: 'bucket', bucketMs: size, source: ['raw'], points: buckets.points() };
  }
  const period = size >= DAY_MS ? 'day' : 'hour';
  const { items, first, covered } = await rolledUp(deps, device, period, from, to);
  const source = new Set<'raw' | 'hour' | 'day'>();
  for (const item of items) {
    const a = item.metrics[metric];
    if (!a || a.min === undefined || a.max === undefined || a.sum === undefined) continue;
    buckets.add(item.start, a.min, a.max, a.sum, a.count - a.flagged);
    source.add(item.period);
  }
  const edges = [
    ...(await rawValues(deps, device, metric, from, first)),
    ...(await rawValues(deps, device, metric, Math.max(first, covered), to)),
  ];
  for (const { ts, v } of edges) buckets.add(ts, v, v, v, 1);
  if (edges.length > 0 || items.length === 0) source.add('raw');
  const order = ['raw', 'hour', 'day'] as const;
  return {
    ...base,
    resolution: 'bucket',
    bucketMs: size,
    source: order.filter((s) => source.has(s)),
    points: buckets.points(),
  };
}
