/**
 * The compliance report's arithmetic, as plain functions over roll-ups, alarms, windows and collection events:
 * China-time periods, rates (counted and time-weighted), completeness, exceedance events, sensor-fault time and the
 * waste figures. No I/O: `use-cases/compliance-report.ts` reads the data and hands it here. docs/compliance.md
 * defines every figure.
 */
import type { Alarm } from './alarm';
import { chinaDate, chinaDayStart, chinaMonth } from './china-calendar';
import type {
  ComplianceSummary,
  DeviceCompleteness,
  ExceedanceEvent,
  ExcludedWindow,
  LimitApplied,
  RateFigures,
  SensorFaultTime,
  TownshipWaste,
  WasteSummary,
} from './compliance-types';
import { ValidationError } from './errors';
import type { Device } from './registry';
import { levelsFor } from './rollup';
import { type MetricAggregate, REPORT_UTC_OFFSET_MS, type RollupItem } from './rollup-types';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A half-open range of epoch ms, [from, to). */
export interface Range {
  from: number;
  to: number;
}

// ---------------------------------------------------------------- periods (China time, UTC+8, no daylight saving)

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A China-time calendar month `YYYY-MM` as [first midnight, next month's first midnight). */
export function monthRange(month: string): Range {
  const m = MONTH_PATTERN.exec(month);
  if (!m)
    throw new ValidationError(
      `month ${JSON.stringify(month)}: give a calendar month as YYYY-MM, e.g. 2026-11`,
    );
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return {
    from: Date.UTC(year, index, 1) - REPORT_UTC_OFFSET_MS,
    to: Date.UTC(year, index + 1, 1) - REPORT_UTC_OFFSET_MS,
  };
}

/** The default report period: the last whole calendar month before `now`, China time. */
export function lastMonth(now: number): Range {
  const current = monthRange(chinaMonth(now));
  return monthRange(chinaMonth(current.from - 1));
}

/** The China-time months that [from, to) touches, oldest first. */
export function monthsOf(range: Range): string[] {
  const months: string[] = [];
  for (let m = chinaMonth(range.from); ; ) {
    const r = monthRange(m);
    if (r.from >= range.to) break;
    months.push(m);
    m = chinaMonth(r.to);
  }
  return months;
}

/**
 * Splits [from, to) into the whole China-time days inside it (served by daily roll-ups) and the parts of days at
 * either end (served by hourly roll-ups). Hours are whole UTC hours (= China hours); a range that does not start or end
 * on an hour is still read by hour and said so by {@link hourAligned}.
 */
export function splitAtDays(range: Range): { days?: Range; partial: Range[] } {
  const firstDay = chinaDayStart(range.from) === range.from ? range.from : chinaDayStart(range.from) + DAY_MS;
  const lastDay = chinaDayStart(range.to);
  if (firstDay >= lastDay) return { partial: [range] };
  const partial: Range[] = [];
  if (range.from < firstDay) partial.push({ from: range.from, to: firstDay });
  if (lastDay < range.to) partial.push({ from: lastDay, to: range.to });
  return { days: { from: firstDay, to: lastDay }, partial };
}

/** Whether a time falls on a whole hour (roll-ups cannot split an hour). */
export function hourAligned(ts: number): boolean {
  return ts % HOUR_MS === 0;
}

/** `2026-11` for exactly one calendar month, else `2026-11-03 – 2026-11-09` (China-time dates, `to` exclusive). */
export function periodLabel(range: Range): string {
  const month = chinaMonth(range.from);
  const m = monthRange(month);
  if (m.from === range.from && m.to === range.to) return month;
  return `${chinaDate(range.from)} – ${chinaDate(range.to - 1)}`;
}

/** The China-time dates of [from, to), oldest first. */
function daysOf(range: Range): string[] {
  const days: string[] = [];
  for (let d = chinaDayStart(range.from); d < range.to; d += DAY_MS) days.push(chinaDate(d));
  return days;
}

// ---------------------------------------------------------------- rates

/** Whether a metric aggregate was judged against a limit (temperature, say, is not). */
function hasLimit(a: MetricAggregate): boolean {
  return a.levels?.limitMin !== undefined || a.levels?.limitMax !== undefined;
}

/** Rates with nothing counted yet. */
function emptyRates(): RateFigures {
  return { valid: 0, within: 0, rate: null, validMs: 0, withinMs: 0, timeRate: null, overWarning: 0 };
}

function addAggregate(r: RateFigures, a: MetricAggregate): void {
  const valid = a.count - a.flagged;
  r.valid += valid;
  r.within += valid - a.overLimit;
  r.validMs += a.validMs;
  r.withinMs += a.validMs - a.overLimitMs;
  r.overWarning += a.overWarning;
}

function finish(r: RateFigures): RateFigures {
  r.rate = r.valid > 0 ? r.within / r.valid : null;
  r.timeRate = r.validMs > 0 ? r.withinMs / r.validMs : null;
  return r;
}

/** Overall and per-metric rates of some roll-up items (only metrics with a limit count). */
export function foldRates(items: readonly RollupItem[]): Pick<ComplianceSummary, 'overall' | 'byMetric'> {
  const overall = emptyRates();
  const byMetric: Record<string, RateFigures> = {};
  for (const item of items)
    for (const [metric, a] of Object.entries(item.metrics)) {
      if (!hasLimit(a)) continue;
      addAggregate(overall, a);
      // biome-ignore lint/suspicious/noAssignInExpressions: accumulate per metric
      addAggregate((byMetric[metric] ??= emptyRates()), a);
    }
  finish(overall);
  for (const r of Object.values(byMetric)) finish(r);
  return {
    overall,
    byMetric: Object.fromEntries(Object.entries(byMetric).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** A group's summary: its rates, and how many water devices and sites it holds. */
export function summarize(items: readonly RollupItem[], devices: readonly Device[]): ComplianceSummary {
  const water = devices.filter((d) => d.kind === 'water');
  return {
    ...foldRates(items),
    devices: water.length,
    sites: new Set(water.map((d) => d.siteId)).size,
  };
}

/** The overall rate per China-time day of the range (the small charts of a site). */
export function dailyRates(
  items: readonly RollupItem[],
  range: Range,
): { day: string; rate: number | null }[] {
  const byDay = new Map<string, RollupItem[]>();
  for (const item of items) {
    const day = chinaDate(item.start);
    const list = byDay.get(day);
    if (list) list.push(item);
    else byDay.set(day, [item]);
  }
  return daysOf(range).map((day) => ({ day, rate: foldRates(byDay.get(day) ?? []).overall.rate }));
}

/**
 * The limits and early-warning levels a water device is judged against, per metric: the catalogue's rules for its
 * measurement point, supply class and disinfectant, with its site's overrides (the same conditions alarms use).
 */
export function limitsApplied(device: Device): LimitApplied[] {
  return Object.entries(levelsFor(device))
    .map(([metric, levels]) => ({ metric, ...levels }))
    .sort((a, b) => a.metric.localeCompare(b.metric));
}

// ---------------------------------------------------------------- completeness

/** Windows clipped to the range, merged where they overlap (a renewed maintenance overlaps the one before). */
export function unionOf(windows: readonly Range[], range: Range): Range[] {
  const clipped = windows
    .map((w) => ({ from: Math.max(w.from, range.from), to: Math.min(w.to, range.to) }))
    .filter((w) => w.from < w.to)
    .sort((a, b) => a.from - b.from);
  const merged: Range[] = [];
  for (const w of clipped) {
    const last = merged.at(-1);
    if (last && w.from <= last.to) last.to = Math.max(last.to, w.to);
    else merged.push({ ...w });
  }
  return merged;
}

const lengthOf = (ranges: readonly Range[]) => ranges.reduce((sum, r) => sum + (r.to - r.from), 0);

/**
 * Samples received in hours lying wholly inside excluded windows, from a device's hourly roll-ups: these are taken off
 * `received` (an hour only partly inside a window counts whole, the roll-ups cannot split it).
 */
export function samplesInside(hourly: readonly RollupItem[], windows: readonly Range[]): number {
  return hourly
    .filter((h) => h.period === 'hour' && windows.some((w) => w.from <= h.start && h.end <= w.to))
    .reduce((sum, h) => sum + h.samples, 0);
}

/**
 * A device's completeness over the range: expected = (range − excluded time) / interval, rounded down; received =
 * samples in the roll-ups minus those in hours wholly inside excluded windows.
 */
export function deviceCompleteness(input: {
  device: Device;
  range: Range;
  items: readonly RollupItem[];
  excluded: readonly ExcludedWindow[];
  samplesExcluded: number;
}): DeviceCompleteness {
  const { device, range } = input;
  const excludedMs = lengthOf(unionOf(input.excluded, range));
  const expected = Math.floor((range.to - range.from - excludedMs) / (device.intervalS * 1000));
  const received = Math.max(0, input.items.reduce((s, i) => s + i.samples, 0) - input.samplesExcluded);
  return {
    deviceId: device.id,
    siteId: device.siteId,
    township: device.township,
    kind: device.kind,
    intervalS: device.intervalS,
    expected,
    received,
    rate: expected > 0 ? received / expected : null,
    excluded: [...input.excluded].sort((a, b) => a.from - b.from),
  };
}

// ---------------------------------------------------------------- alarms: exceedances, sensor faults, waste

/** An alarm episode in sample time: raised by the sample at `start`, cleared by the one at `end` (if cleared). */
function episodeOf(alarm: Alarm): { start: number; end?: number } {
  const end = alarm.clearedSampleTs ?? alarm.clearedAt;
  return end === undefined ? { start: alarm.sampleTs } : { start: alarm.sampleTs, end };
}

/** Whether the episode overlaps the range (an episode still active counts until the range ends). */
export function overlaps(alarm: Alarm, range: Range): boolean {
  const { start, end } = episodeOf(alarm);
  return start < range.to && (end === undefined || end > range.from);
}

/** A limit alarm (GB 5749/GB 3838 or a site limit), as opposed to warnings, sensor faults and device alarms. */
export const isLimitAlarm = (a: Alarm) => a.condition.startsWith('limit:');
export const isSensorFaultAlarm = (a: Alarm) => a.severity === 'sensor_fault';
export const isOverflowAlarm = (a: Alarm) => a.condition === 'fill:overflow';
export const isFireAlarm = (a: Alarm) => a.condition === 'fire';

/** The most extreme value in the breach direction: the lowest for a minimum, the highest for a maximum. */
export function peakOf(values: readonly number[], direction: 'min' | 'max'): number | undefined {
  if (values.length === 0) return undefined;
  return direction === 'min' ? Math.min(...values) : Math.max(...values);
}

/** The breach direction of a limit alarm: from its limit, else from its condition key (`limit:<metric>:<dir>`). */
export function breachDirection(alarm: Alarm): 'min' | 'max' | undefined {
  if (alarm.limit) return alarm.limit.direction;
  const dir = alarm.condition.split(':')[2];
  return dir === 'min' || dir === 'max' ? dir : undefined;
}

/** One exceedance event: the episode, its duration within the range, its peak and its acknowledgement. */
export function exceedanceOf(alarm: Alarm, range: Range, peak: number | undefined): ExceedanceEvent {
  const { start, end } = episodeOf(alarm);
  const durationMs = Math.max(0, Math.min(end ?? range.to, range.to) - Math.max(start, range.from));
  const event: ExceedanceEvent = {
    alarmId: alarm.alarmId,
    deviceId: alarm.deviceId,
    siteId: alarm.siteId,
    siteName: alarm.siteName,
    township: alarm.township,
    condition: alarm.condition,
    severity: alarm.severity,
    start,
    durationMs,
  };
  if (alarm.measurementPoint !== undefined) event.measurementPoint = alarm.measurementPoint;
  if (alarm.metric !== undefined) event.metric = alarm.metric;
  if (end !== undefined) event.end = end;
  if (peak !== undefined) event.peak = peak;
  if (alarm.limit) event.limit = alarm.limit;
  if (alarm.ackedAt !== undefined) {
    event.ackedAt = alarm.ackedAt;
    event.ackDelayMs = Math.max(0, alarm.ackedAt - alarm.raisedAt);
  }
  if (alarm.ackedBy !== undefined) event.ackedBy = alarm.ackedBy;
  return event;
}

/**
 * Sensor-fault time per device and metric: flagged samples and their time from the roll-ups, plus the sensor-fault
 * alarm episodes (range, stuck) overlapping the range. A pair with neither is left out.
 */
export function sensorFaults(items: readonly RollupItem[], alarms: readonly Alarm[]): SensorFaultTime[] {
  const rows = new Map<string, SensorFaultTime>();
  const row = (deviceId: string, siteId: string, metric: string) => {
    const key = `${deviceId}\n${metric}`;
    let r = rows.get(key);
    if (!r) {
      r = { deviceId, siteId, metric, flaggedMs: 0, flaggedSamples: 0, episodes: [] };
      rows.set(key, r);
    }
    return r;
  };
  for (const item of items)
    for (const [metric, a] of Object.entries(item.metrics)) {
      if (a.flagged === 0 && a.flaggedMs === 0) continue;
      const r = row(item.deviceId, item.siteId, metric);
      r.flaggedSamples += a.flagged;
      r.flaggedMs += a.flaggedMs;
    }
  for (const alarm of alarms.filter(isSensorFaultAlarm)) {
    const metric = alarm.metric ?? alarm.condition.split(':')[1] ?? alarm.condition;
    const { start, end } = episodeOf(alarm);
    const episode: SensorFaultTime['episodes'][number] = {
      alarmId: alarm.alarmId,
      condition: alarm.condition,
      start,
    };
    if (end !== undefined) episode.end = end;
    row(alarm.deviceId, alarm.siteId, metric).episodes.push(episode);
  }
  return [...rows.values()]
    .map((r) => ({ ...r, episodes: r.episodes.sort((a, b) => a.start - b.start) }))
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.metric.localeCompare(b.metric));
}

/** A bin collection as the waste figures need it (see ports/bin-event-store.ts). */
export interface Collection {
  binId: string;
  ts: number;
  township: string;
  wasteStream: string;
  fromPct: number;
}

function countByStream(events: readonly Collection[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of [...events].sort((a, b) => a.wasteStream.localeCompare(b.wasteStream)))
    counts[e.wasteStream] = (counts[e.wasteStream] ?? 0) + 1;
  return counts;
}

/**
 * Bins whose overflow alarm was raised before the collection that emptied them: an overflow episode raised after the
 * bin's previous collection (or at any earlier time, for its first collection of the range) and before this one.
 */
function binsOverflowedBeforeCollection(events: readonly Collection[], overflows: readonly Alarm[]): number {
  const bins = new Set<string>();
  const byBin = new Map<string, Collection[]>();
  for (const e of events) byBin.set(e.binId, [...(byBin.get(e.binId) ?? []), e]);
  for (const [binId, list] of byBin) {
    const sorted = list.sort((a, b) => a.ts - b.ts);
    const alarms = overflows.filter((a) => a.deviceId === binId);
    sorted.forEach((e, i) => {
      const after = i === 0 ? Number.NEGATIVE_INFINITY : (sorted[i - 1] as Collection).ts;
      if (alarms.some((a) => a.sampleTs >= after && a.sampleTs < e.ts)) bins.add(binId);
    });
  }
  return bins.size;
}

/**
 * Waste per township: collections (by stream), overflow and fire episodes overlapping the range, mean fill just before
 * each collection, bins that overflowed before being emptied. `townships` lists every township to show (with zeros).
 */
export function wasteSummary(
  townships: readonly string[],
  collections: readonly Collection[],
  binAlarms: readonly Alarm[],
): WasteSummary {
  const rows = townships.map((township): TownshipWaste => {
    const events = collections.filter((e) => e.township === township);
    const alarms = binAlarms.filter((a) => a.township === township);
    const overflows = alarms.filter(isOverflowAlarm);
    return {
      township,
      collections: events.length,
      byWasteStream: countByStream(events),
      overflowEvents: overflows.length,
      fireEvents: alarms.filter(isFireAlarm).length,
      meanFillAtCollectionPct:
        events.length === 0 ? null : events.reduce((s, e) => s + e.fromPct, 0) / events.length,
      binsOverflowedBeforeCollection: binsOverflowedBeforeCollection(events, overflows),
    };
  });
  const all = collections.filter((e) => townships.includes(e.township));
  return { collections: all.length, byWasteStream: countByStream(all), townships: rows };
}
