import type { Alarm } from '../core/alarm';
import {
  breachDirection,
  type Collection,
  dailyRates,
  deviceCompleteness,
  exceedanceOf,
  hourAligned,
  isFireAlarm,
  isLimitAlarm,
  isOverflowAlarm,
  isSensorFaultAlarm,
  limitsApplied,
  monthsOf,
  overlaps,
  peakOf,
  periodLabel,
  type Range,
  samplesInside,
  sensorFaults,
  splitAtDays,
  summarize,
  unionOf,
  wasteSummary,
} from '../core/compliance';
import type {
  ComplianceReport,
  ExceedanceEvent,
  ExcludedWindow,
  LimitApplied,
  SiteCompliance,
} from '../core/compliance-types';
import type { Device } from '../core/registry';
import { REPORT_TIME_ZONE, type RollupItem } from '../core/rollup-types';
import type { AlarmHistory } from '../ports/alarm-history';
import type { BinEventStore } from '../ports/bin-event-store';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { DeviceWindows } from '../ports/device-windows';
import type { ReadingStore } from '../ports/reading-store';
import type { RollupStore } from '../ports/rollup-store';
import { mapWithConcurrency } from '../shared/concurrency';

export interface ComplianceReportDeps {
  registry: Pick<DeviceRegistry, 'list'>;
  rollups: RollupStore;
  alarmHistory: AlarmHistory;
  readings: ReadingStore;
  binEvents: BinEventStore;
  windows: DeviceWindows;
  clock: Clock;
  /** The county's name for the report's title; the registry does not hold it. */
  county?: string;
}

export interface ComplianceQuery extends Range {
  township?: string;
  siteId?: string;
}

/** Calls under way at once against the tables (a Lambda's sockets, and the table's burst, stay calm). */
const CONCURRENCY = 16;
/**
 * Closed alarm episodes raised this long before the period are not read (the index is ordered by raise time): an
 * episode that began earlier and ended inside the period is missed. Open episodes are all read, however old.
 */
const EPISODE_LOOKBACK_MS = 31 * 86_400_000;
/** Peak values read at most this many raw samples per exceedance (pages of 1,000). */
const PEAK_MAX_SAMPLES = 5_000;
const PEAK_PAGE = 1_000;

/** The devices a report covers: all, one township's, or one site's. */
function scopeDevices(all: readonly Device[], query: Pick<ComplianceQuery, 'township' | 'siteId'>): Device[] {
  return all.filter(
    (d) =>
      (query.township === undefined || d.township === query.township) &&
      (query.siteId === undefined || d.siteId === query.siteId),
  );
}

/** Daily roll-ups of whole days (a few index Queries per township and month) and hourly ones of partial days. */
async function readRollups(
  deps: ComplianceReportDeps,
  devices: readonly Device[],
  range: Range,
  query: ComplianceQuery,
): Promise<RollupItem[]> {
  const { days, partial } = splitAtDays(range);
  const inScope = new Set(devices.map((d) => d.id));
  const townships = [...new Set(devices.map((d) => d.township))].sort();
  const daily = days
    ? (
        await mapWithConcurrency(
          townships.flatMap((t) => monthsOf(days).map((m) => [t, m] as const)),
          CONCURRENCY,
          ([t, m]) => deps.rollups.dailyForTownship(t, m, query.siteId),
        )
      )
        .flat()
        .filter(
          (i) => i.period === 'day' && i.start >= days.from && i.start < days.to && inScope.has(i.deviceId),
        )
    : [];
  const hourly = (
    await mapWithConcurrency(
      devices.flatMap((d) => partial.map((p) => [d.id, p] as const)),
      CONCURRENCY,
      ([id, p]) => deps.rollups.range(id, 'hour', p.from, p.to),
    )
  ).flat();
  return [...daily, ...hourly];
}

/** Alarms whose episodes overlap the period: every open one, and closed ones raised since the look-back. */
async function readAlarms(deps: ComplianceReportDeps, devices: readonly Device[], range: Range, now: number) {
  const inScope = new Set(devices.map((d) => d.id));
  // Late data raises alarms after the fact: anything raised up to now may have a sample time in the period.
  const [open, closed] = await Promise.all([
    deps.alarmHistory.raisedBetween('open', 0, now),
    deps.alarmHistory.raisedBetween('closed', range.from - EPISODE_LOOKBACK_MS, now),
  ]);
  return [...open, ...closed]
    .filter((a) => inScope.has(a.deviceId) && overlaps(a, range))
    .sort((a, b) => a.sampleTs - b.sampleTs || a.alarmId.localeCompare(b.alarmId));
}

/** The most extreme value of the alarm's metric over its episode, from at most PEAK_MAX_SAMPLES raw samples. */
async function peakFor(
  deps: ComplianceReportDeps,
  alarm: Alarm,
  now: number,
): Promise<{ peak?: number; bounded: boolean }> {
  const direction = breachDirection(alarm);
  if (alarm.metric === undefined || direction === undefined) return { bounded: false };
  const values: number[] = [];
  const end = alarm.clearedSampleTs ?? alarm.clearedAt ?? now;
  let cursor: string | undefined;
  do {
    const page = await deps.readings.query({
      deviceId: alarm.deviceId,
      from: alarm.sampleTs,
      // The clearing sample is back within the limit: it is not part of the breach.
      to: Math.max(alarm.sampleTs, end - 1),
      metric: alarm.metric,
      limit: PEAK_PAGE,
      cursor,
    });
    for (const item of page.items) {
      const v = item.m[alarm.metric];
      if (typeof v === 'number') values.push(v);
    }
    cursor = page.cursor;
  } while (cursor && values.length < PEAK_MAX_SAMPLES);
  if (typeof alarm.value === 'number') values.push(alarm.value);
  const peak = peakOf(values, direction);
  return peak === undefined ? { bounded: cursor !== undefined } : { peak, bounded: cursor !== undefined };
}

async function readWindows(deps: ComplianceReportDeps, devices: readonly Device[], range: Range) {
  const all = await deps.windows.listAll(range.from, range.to);
  return new Map(
    devices.map((d) => [
      d.id,
      all
        .filter((w) => w.deviceId === d.id)
        .map((w): ExcludedWindow => {
          const x: ExcludedWindow = { from: w.from, to: w.to, reason: w.kind };
          if (w.reason !== undefined) x.note = w.reason;
          if (w.by !== undefined) x.by = w.by;
          return x;
        }),
    ]),
  );
}

/** Samples in hours wholly inside a device's excluded windows: one hourly range read per window, devices with any. */
async function samplesExcluded(
  deps: ComplianceReportDeps,
  windows: Map<string, ExcludedWindow[]>,
  range: Range,
): Promise<Map<string, number>> {
  const withWindows = [...windows].filter(([, w]) => w.length > 0);
  const counts = await mapWithConcurrency(withWindows, CONCURRENCY, async ([id, list]) => {
    const union = unionOf(list, range);
    const hourly = (await Promise.all(union.map((w) => deps.rollups.range(id, 'hour', w.from, w.to)))).flat();
    return samplesInside(hourly, union);
  });
  return new Map(withWindows.map(([id], i) => [id, counts[i] ?? 0]));
}

async function readCollections(
  deps: ComplianceReportDeps,
  townships: readonly string[],
  range: Range,
  siteId: string | undefined,
): Promise<Collection[]> {
  const lists = await mapWithConcurrency(townships, CONCURRENCY, (t) =>
    // listForTownship's bounds are inclusive; the period is [from, to).
    deps.binEvents.listForTownship(t, { from: range.from, to: range.to - 1 }),
  );
  return lists.flat().filter((e) => siteId === undefined || e.siteId === siteId);
}

/**
 * The levels a site was judged against: those its roll-ups recorded (the newest per metric, so a limit changed during
 * the period shows its latest value), else the current ones of its devices (a period without data).
 */
function limitsOfSite(devices: readonly Device[], items: readonly RollupItem[]): LimitApplied[] {
  const limits = new Map<string, LimitApplied>();
  for (const d of devices)
    for (const l of limitsApplied(d)) if (!limits.has(l.metric)) limits.set(l.metric, l);
  const newest = new Map<string, RollupItem>();
  for (const i of items)
    for (const [metric, a] of Object.entries(i.metrics))
      if (a.levels && (newest.get(metric)?.start ?? Number.NEGATIVE_INFINITY) < i.start)
        newest.set(metric, i);
  for (const [metric, i] of newest) limits.set(metric, { metric, ...i.metrics[metric]?.levels });
  return [...limits.values()].sort((a, b) => a.metric.localeCompare(b.metric));
}

function siteRows(
  devices: readonly Device[],
  itemsOf: (devices: readonly Device[]) => RollupItem[],
  range: Range,
): SiteCompliance[] {
  const sites = new Map<string, Device[]>();
  for (const d of devices.filter((x) => x.kind === 'water'))
    sites.set(d.siteId, [...(sites.get(d.siteId) ?? []), d]);
  return [...sites.values()]
    .map((siteDevices): SiteCompliance => {
      const first = siteDevices[0] as Device;
      const siteItems = itemsOf(siteDevices);
      const points = [
        ...new Set(siteDevices.flatMap((d) => (d.kind === 'water' ? [d.measurementPoint] : []))),
      ].sort();
      const row: SiteCompliance = {
        siteId: first.siteId,
        siteName: first.siteName,
        township: first.township,
        siteType: first.siteType,
        supplyClass: first.supplyClass,
        disinfectant: first.disinfectant,
        measurementPoints: points,
        limits: limitsOfSite(siteDevices, siteItems),
        ...summarize(siteItems, siteDevices),
        daily: dailyRates(siteItems, range),
      };
      if (first.siteNameZh !== undefined) row.siteNameZh = first.siteNameZh;
      return row;
    })
    .sort((a, b) => a.township.localeCompare(b.township) || a.siteId.localeCompare(b.siteId));
}

function groupBy<K extends string>(
  devices: readonly Device[],
  key: (d: Device) => K | undefined,
): Map<K, Device[]> {
  const groups = new Map<K, Device[]>();
  for (const d of devices) {
    const k = key(d);
    if (k !== undefined) groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/** Roll-up items by device, so every group's items are found without a pass over all of them. */
function byDevice(items: readonly RollupItem[]): (devices: readonly Device[]) => RollupItem[] {
  const map = new Map<string, RollupItem[]>();
  for (const i of items) {
    const list = map.get(i.deviceId);
    if (list) list.push(i);
    else map.set(i.deviceId, [i]);
  }
  return (devices) => devices.flatMap((d) => map.get(d.id) ?? []);
}

/** What the reader should know: the method, then anything partial. */
function methodNotes(range: Range, now: number, items: readonly RollupItem[]): string[] {
  const notes = [
    'Compliance rate = valid samples within the limits that applied ÷ valid samples, per metric and overall (every ' +
      'metric-sample with a limit pooled); time-weighted rate = the same with each sample weighted by the time it ' +
      'stands for (until the next sample, at most the reporting interval). A value exactly at a limit complies.',
    'Samples flagged by the quality gate (outside the instrument range, or a stuck channel) are not valid: they count ' +
      'as sensor-fault time, not against compliance.',
    'Whole China-time days come from daily roll-ups, the parts of days at either end from hourly roll-ups.',
    'Completeness = samples received ÷ samples expected from each device’s reporting interval over the period, less ' +
      'maintenance and declared outages (listed per device); samples in hours wholly inside those windows are not ' +
      'counted as received.',
    'Exceedances are limit alarms whose episode (raising sample to clearing sample) overlaps the period; the duration ' +
      'is the part inside the period, the peak the most extreme value in the breach direction during the episode.',
  ];
  if (!hourAligned(range.from) || !hourAligned(range.to))
    notes.push('The period does not start and end on whole hours: the hours at its edges are counted whole.');
  if (range.to > now)
    notes.push(
      `The period runs past the time of this report (${new Date(now).toISOString()}): its remaining time has no data yet.`,
    );
  const unfinished = items.filter((i) => i.computedAt < i.end && i.end <= now).length;
  if (unfinished > 0)
    notes.push(
      `${unfinished} roll-up(s) were computed before their hour or day ended and are not yet recomputed: recent data may be missing.`,
    );
  return notes;
}

/**
 * The compliance report for [from, to) and a scope (the county, a township or a site). Reads: the registry once,
 * daily roll-ups per township and month, hourly roll-ups per device only for partial days, alarms by raise time (two
 * index Queries), raw readings only for exceedance peaks, windows per device, and collections per township.
 */
export async function complianceReport(
  deps: ComplianceReportDeps,
  query: ComplianceQuery,
): Promise<ComplianceReport> {
  const now = deps.clock.now();
  const range: Range = { from: query.from, to: query.to };
  const devices = scopeDevices(await deps.registry.list(), query).sort((a, b) => a.id.localeCompare(b.id));
  const townships = [...new Set(devices.map((d) => d.township))].sort();

  const [items, alarms, windows] = await Promise.all([
    readRollups(deps, devices, range, query),
    readAlarms(deps, devices, range, now),
    readWindows(deps, devices, range),
  ]);

  const limitAlarms = alarms.filter(isLimitAlarm);
  const [peaks, excludedSamples, collections] = await Promise.all([
    mapWithConcurrency(limitAlarms, CONCURRENCY, (a) => peakFor(deps, a, now)),
    samplesExcluded(deps, windows, range),
    readCollections(
      deps,
      [...new Set(devices.filter((d) => d.kind === 'bin').map((d) => d.township))].sort(),
      range,
      query.siteId,
    ),
  ]);
  const exceedances: ExceedanceEvent[] = limitAlarms.map((a, i) => exceedanceOf(a, range, peaks[i]?.peak));

  const water = devices.filter((d) => d.kind === 'water');
  const itemsOf = byDevice(items);
  const notes = methodNotes(range, now, items);
  const bounded = peaks.filter((p) => p.bounded).length;
  if (bounded > 0)
    notes.push(
      `The peak of ${bounded} exceedance(s) is the most extreme of their first ${PEAK_MAX_SAMPLES} samples (a longer episode was not read to its end).`,
    );
  notes.push(
    `Closed alarm episodes raised more than ${EPISODE_LOOKBACK_MS / 86_400_000} days before the period are not read.`,
  );

  return {
    period: { from: range.from, to: range.to, label: periodLabel(range), timeZone: REPORT_TIME_ZONE },
    generatedAt: now,
    scope: {
      county: deps.county ?? 'county',
      ...(query.township !== undefined ? { township: query.township } : {}),
      ...(query.siteId !== undefined ? { siteId: query.siteId } : {}),
    },
    county: summarize(items, water),
    townships: [...groupBy(water, (d) => d.township)].map(([township, ds]) => ({
      township,
      ...summarize(itemsOf(ds), ds),
    })),
    measurementPoints: [...groupBy(water, (d) => (d.kind === 'water' ? d.measurementPoint : undefined))].map(
      ([measurementPoint, ds]) => ({ measurementPoint, ...summarize(itemsOf(ds), ds) }),
    ),
    sites: siteRows(devices, itemsOf, range),
    exceedances,
    completeness: devices.map((d) =>
      deviceCompleteness({
        device: d,
        range,
        items: itemsOf([d]),
        excluded: windows.get(d.id) ?? [],
        samplesExcluded: excludedSamples.get(d.id) ?? 0,
      }),
    ),
    sensorFaults: sensorFaults(items, alarms.filter(isSensorFaultAlarm)),
    waste: wasteSummary(
      townships.filter((t) => devices.some((d) => d.kind === 'bin' && d.township === t)),
      collections,
      alarms.filter((a) => isOverflowAlarm(a) || isFireAlarm(a)),
    ),
    notes,
  };
}
