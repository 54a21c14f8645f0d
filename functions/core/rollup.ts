import { DAY_MS, HOUR_MS } from '../shared/time';
import { chinaDate, chinaMonth } from './china-calendar';
import { conditionsFor } from './conditions/build';
import { historyFor } from './conditions/evaluate';
import type { Condition } from './conditions/types';
import { ownValue } from './metrics';
import { numericValue, type StuckRule, stuckVerdict } from './quality';
import type { Device } from './registry';
import {
  type AppliedLevels,
  type MetricAggregate,
  ROLLUP_RETENTION,
  type RollupItem,
  type RollupPeriod,
} from './rollup-types';
import type { Sample } from './telemetry';

/**
 * Roll-up arithmetic: one device's stored samples of one hour into a {@link RollupItem}, hours into a China-time
 * day, and the keys. Pure. Samples are judged with the rules alarm evaluation uses (the device's range and stuck
 * conditions, its limit and warning conditions), so a report and the alarms never disagree about a sample.
 *
 * Time weighting never crosses an hour boundary: a sample stands for time only within its own hour (at most the
 * reporting interval), and a day's `*Ms` fields are the sums of its hours'. A day folded from its hours and a day
 * computed the same way from its samples are therefore equal, and an hour's item depends only on that hour's samples
 * and the few before it that a stuck check looks back over.
 */

/** Start of the UTC hour holding `ts` (a UTC hour is a China-time hour: the offset is whole hours, with no DST). */
export function hourStart(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

/** Sort key of a roll-up item: `h#` or `d#` and its start as 13 digits, so a range of periods is one key range. */
export function rollupSortKey(period: RollupPeriod, start: number): string {
  return `${period === 'hour' ? 'h' : 'd'}#${String(start).padStart(13, '0')}`;
}

/** The sparse-index attributes of a daily item: a township's month, ordered by site, device and day. */
function townshipMonthKeys(
  device: Pick<Device, 'id' | 'siteId' | 'township'>,
  start: number,
): { tm: string; sdd: string } {
  return {
    tm: `${device.township}#${chinaMonth(start)}`,
    sdd: `${device.siteId}#${device.id}#${chinaDate(start)}`,
  };
}

/** The limit and warning levels of every metric a device's threshold conditions watch (alarms' own levels). */
export function levelsFor(device: Device): Record<string, AppliedLevels> {
  const levels: Record<string, AppliedLevels> = {};
  for (const c of conditionsFor(device)) {
    if (c.kind !== 'limit' && c.kind !== 'warn') continue;
    const entry = ownValue(levels, c.metric) ?? {};
    if (c.kind === 'limit') {
      if (c.direction === 'min') entry.limitMin = c.level;
      else entry.limitMax = c.level;
      // Two limits of one metric (pH 6.5–8.5) usually share a clause; different clauses are both named.
      entry.citation =
        entry.citation && entry.citation !== c.citation ? `${entry.citation}; ${c.citation}` : c.citation;
    } else if (c.direction === 'min') entry.warnMin = c.level;
    else entry.warnMax = c.level;
    levels[c.metric] = entry;
  }
  return levels;
}

/** What judges a sample of a device: its quality checks, its levels and the window a stuck check needs. */
interface SampleJudge {
  /** Samples, ending at the one judged, that a stuck check sees (alarm evaluation's window). */
  window: number;
  levels: Record<string, AppliedLevels>;
  ranges: Map<string, readonly [number, number]>;
  stuck: Map<string, StuckRule>;
}

const judges = new WeakMap<Device, SampleJudge>();

/** The device's judge, built once per device object (a registry hands out a new object when a device changes). */
function judgeFor(device: Device): SampleJudge {
  let judge = judges.get(device);
  if (!judge) {
    const conditions: readonly Condition[] = conditionsFor(device);
    judge = {
      window: historyFor(conditions),
      levels: levelsFor(device),
      ranges: new Map(conditions.flatMap((c) => (c.kind === 'range' ? [[c.metric, c.range] as const] : []))),
      stuck: new Map(conditions.flatMap((c) => (c.kind === 'stuck' ? [[c.metric, c] as const] : []))),
    };
    judges.set(device, judge);
  }
  return judge;
}

/** Samples before an hour an hour's computation needs (a stuck check at the hour's first sample looks back). */
export function lookbackFor(device: Device): number {
  return judgeFor(device).window - 1;
}

/** Whether the quality gate flags `metric` at `window`'s last sample: out of the instrument's range, or stuck. */
function flaggedAt(judge: SampleJudge, window: readonly Sample[], metric: string, value: number): boolean {
  const range = judge.ranges.get(metric);
  if (range && (value < range[0] || value > range[1])) return true;
  const rule = judge.stuck.get(metric);
  // An unknown verdict (too little before the run to judge) does not flag: the sample counts as valid.
  return rule !== undefined && stuckVerdict(window, metric, rule) === 'stuck';
}

/** Strictly beyond a level in its direction: a value exactly at a limit complies. */
function beyond(levels: AppliedLevels | undefined, v: number, which: 'limit' | 'warn'): boolean {
  if (!levels) return false;
  const min = which === 'limit' ? levels.limitMin : levels.warnMin;
  const max = which === 'limit' ? levels.limitMax : levels.warnMax;
  return (min !== undefined && v < min) || (max !== undefined && v > max);
}

/**
 * A sum to 12 significant digits: float noise (`25.140000000000004`) would double the bytes a stored sum takes, and
 * 12 digits are far finer than any instrument; the mean stays exact to about 1e-12.
 */
function roundSum(sum: number): number {
  return sum === 0 ? 0 : Number(sum.toPrecision(12));
}

/** A metric's aggregate before any sample: every count and duration zero. */
export const emptyAggregate = (): MetricAggregate => ({
  count: 0,
  flagged: 0,
  overLimit: 0,
  overWarning: 0,
  validMs: 0,
  overLimitMs: 0,
  overWarningMs: 0,
  flaggedMs: 0,
});

function aggregateOf(metrics: Record<string, MetricAggregate>, metric: string): MetricAggregate {
  let agg = ownValue(metrics, metric);
  if (!agg) {
    agg = emptyAggregate();
    metrics[metric] = agg;
  }
  return agg;
}

/** The device's identity as every roll-up item of it carries it. */
function itemHead(device: Device, period: RollupPeriod, start: number, end: number) {
  return {
    pk: device.id,
    sk: rollupSortKey(period, start),
    period,
    deviceId: device.id,
    siteId: device.siteId,
    township: device.township,
    kind: device.kind,
    ...(device.kind === 'water' ? { measurementPoint: device.measurementPoint } : {}),
    start,
    end,
  };
}

/**
 * One hour of one device. `samples` are the device's stored samples in [start, start + 1 h), `before` the ones just
 * before (at least {@link lookbackFor} of them when there are that many), both in (ts, seq) order, each (ts, seq)
 * once, as the readings table holds them. Returns `undefined` for an hour without samples.
 */
export function rollupHour(
  device: Device,
  start: number,
  samples: readonly Sample[],
  before: readonly Sample[],
  computedAt: number,
): RollupItem | undefined {
  if (samples.length === 0) return undefined;
  const end = start + HOUR_MS;
  const judge = judgeFor(device);
  const capMs = device.intervalS * 1000;
  const keep = judge.window - 1;
  const all = [...(keep > 0 ? before.slice(-keep) : []), ...samples];
  const offset = all.length - samples.length;
  const metrics: Record<string, MetricAggregate> = {};
  // Per metric, the sample waiting for its successor to know its weight, and whether it was valid and beyond.
  const pending = new Map<
    string,
    { ts: number; flagged: boolean; overLimit: boolean; overWarning: boolean }
  >();
  const settle = (metric: string, untilTs: number) => {
    const p = pending.get(metric);
    if (!p) return;
    const agg = metrics[metric] as MetricAggregate;
    const w = Math.min(untilTs - p.ts, capMs);
    if (p.flagged) agg.flaggedMs += w;
    else {
      agg.validMs += w;
      if (p.overLimit) agg.overLimitMs += w;
      if (p.overWarning) agg.overWarningMs += w;
    }
  };
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Sample;
    const window = all.slice(Math.max(0, offset + i - judge.window + 1), offset + i + 1);
    for (const metric of Object.keys(s.m)) {
      const v = numericValue(s, metric);
      if (v === undefined) continue;
      const agg = aggregateOf(metrics, metric);
      settle(metric, s.ts);
      agg.count++;
      agg.firstTs ??= s.ts;
      agg.lastTs = s.ts;
      const flagged = flaggedAt(judge, window, metric, v);
      const levels = ownValue(judge.levels, metric);
      const overLimit = !flagged && beyond(levels, v, 'limit');
      const overWarning = overLimit || (!flagged && beyond(levels, v, 'warn'));
      if (flagged) agg.flagged++;
      else {
        agg.min = agg.min === undefined ? v : Math.min(agg.min, v);
        agg.max = agg.max === undefined ? v : Math.max(agg.max, v);
        agg.sum = (agg.sum ?? 0) + v;
        if (overLimit) agg.overLimit++;
        if (overWarning) agg.overWarning++;
      }
      pending.set(metric, { ts: s.ts, flagged, overLimit, overWarning });
    }
  }
  for (const metric of pending.keys()) settle(metric, end);
  for (const [metric, agg] of Object.entries(metrics)) {
    const levels = ownValue(judge.levels, metric);
    if (levels) agg.levels = { ...levels };
    if (agg.sum !== undefined) agg.sum = roundSum(agg.sum);
  }
  return {
    ...itemHead(device, 'hour', start, end),
    samples: samples.length,
    intervalS: device.intervalS,
    metrics,
    computedAt,
    ttl: Math.floor(end / 1000) + ROLLUP_RETENTION.hourDays * 86_400,
  };
}

/**
 * The valid values of one metric among `samples` (what a chart plots), judged as {@link rollupHour} judges them:
 * `before` are the samples just before, for the stuck check.
 */
export function validValues(
  device: Device,
  metric: string,
  samples: readonly Sample[],
  before: readonly Sample[],
): { ts: number; v: number }[] {
  const judge = judgeFor(device);
  const keep = judge.window - 1;
  const all = [...(keep > 0 ? before.slice(-keep) : []), ...samples];
  const offset = all.length - samples.length;
  const out: { ts: number; v: number }[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Sample;
    const v = numericValue(s, metric);
    if (v === undefined) continue;
    const window = all.slice(Math.max(0, offset + i - judge.window + 1), offset + i + 1);
    if (!flaggedAt(judge, window, metric, v)) out.push({ ts: s.ts, v });
  }
  return out;
}

function foldAggregate(into: MetricAggregate, a: MetricAggregate): void {
  into.count += a.count;
  into.flagged += a.flagged;
  if (a.min !== undefined) into.min = into.min === undefined ? a.min : Math.min(into.min, a.min);
  if (a.max !== undefined) into.max = into.max === undefined ? a.max : Math.max(into.max, a.max);
  if (a.sum !== undefined) into.sum = (into.sum ?? 0) + a.sum;
  if (a.firstTs !== undefined) into.firstTs = Math.min(into.firstTs ?? a.firstTs, a.firstTs);
  if (a.lastTs !== undefined) into.lastTs = Math.max(into.lastTs ?? a.lastTs, a.lastTs);
  into.overLimit += a.overLimit;
  into.overWarning += a.overWarning;
  into.validMs += a.validMs;
  into.overLimitMs += a.overLimitMs;
  into.overWarningMs += a.overWarningMs;
  into.flaggedMs += a.flaggedMs;
  // The latest hour's levels: a limit changed during the day is reported as it stands at the day's end.
  if (a.levels) into.levels = { ...a.levels };
}

/**
 * A China-time day of one device from its hourly items (any order; hours outside the day are ignored). Counts are
 * exact; `sum` may differ from a sum over the samples by float rounding. Returns `undefined` without hours.
 */
export function rollupDay(
  device: Device,
  start: number,
  hours: readonly RollupItem[],
  computedAt: number,
): RollupItem | undefined {
  const end = start + DAY_MS;
  const inDay = hours
    .filter((h) => h.period === 'hour' && h.start >= start && h.start < end)
    .sort((a, b) => a.start - b.start);
  if (inDay.length === 0) return undefined;
  const metrics: Record<string, MetricAggregate> = {};
  for (const h of inDay)
    for (const [metric, a] of Object.entries(h.metrics)) foldAggregate(aggregateOf(metrics, metric), a);
  for (const agg of Object.values(metrics)) if (agg.sum !== undefined) agg.sum = roundSum(agg.sum);
  return {
    ...itemHead(device, 'day', start, end),
    samples: inDay.reduce((n, h) => n + h.samples, 0),
    intervalS: (inDay.at(-1) as RollupItem).intervalS,
    metrics,
    computedAt,
    ...townshipMonthKeys(device, start),
  };
}

/** JSON with object keys sorted and undefined left out: equal content, equal text, whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two items hold the same roll-up (everything but `computedAt`): the job writes only items that changed. */
export function sameContent(a: RollupItem, b: RollupItem): boolean {
  return canonical({ ...a, computedAt: 0 }) === canonical({ ...b, computedAt: 0 });
}
