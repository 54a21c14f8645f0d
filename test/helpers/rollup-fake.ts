import type { Alarm } from '../../functions/core/alarm';
import { chinaDate, chinaDayStart, chinaMonth } from '../../functions/core/china-calendar';
import { conditionsFor } from '../../functions/core/conditions/build';
import { outOfRange } from '../../functions/core/quality';
import type { Device } from '../../functions/core/registry';
import { emptyAggregate } from '../../functions/core/rollup';
import {
  type AppliedLevels,
  type MetricAggregate,
  ROLLUP_RETENTION,
  type RollupItem,
  type RollupPeriod,
} from '../../functions/core/rollup-types';
import type { AlarmHistory } from '../../functions/ports/alarm-history';
import type { DeviceWindow, DeviceWindows } from '../../functions/ports/device-windows';
import type { RollupStore } from '../../functions/ports/rollup-store';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * An in-memory RollupStore that keeps to the port's documented semantics: `range` by device, period and start in
 * [from, to); `dailyForTownship` by the `tm` attribute (so only daily items) and the site prefix of `sdd`, ordered by
 * `sdd`. `calls` counts the calls, as Queries would be counted.
 */
export class InMemoryRollupStore implements RollupStore {
  readonly items = new Map<string, RollupItem>();
  readonly calls = { range: 0, dailyForTownship: 0 };

  async put(items: readonly RollupItem[]): Promise<void> {
    for (const i of items) this.items.set(`${i.pk}|${i.sk}`, structuredClone(i));
  }

  async range(deviceId: string, period: RollupPeriod, from: number, to: number): Promise<RollupItem[]> {
    this.calls.range++;
    return [...this.items.values()]
      .filter((i) => i.pk === deviceId && i.period === period && i.start >= from && i.start < to)
      .sort((a, b) => a.start - b.start);
  }

  async dailyForTownship(township: string, month: string, siteId?: string): Promise<RollupItem[]> {
    this.calls.dailyForTownship++;
    return [...this.items.values()]
      .filter(
        (i) => i.tm === `${township}#${month}` && (siteId === undefined || i.sdd?.startsWith(`${siteId}#`)),
      )
      .sort((a, b) => ((a.sdd ?? '') < (b.sdd ?? '') ? -1 : 1));
  }
}

/** In-memory windows with the port's semantics (replace by device, start and kind; overlap listing). */
export class InMemoryDeviceWindows implements DeviceWindows {
  readonly windows = new Map<string, DeviceWindow>();

  async record(w: DeviceWindow): Promise<void> {
    this.windows.set(`${w.deviceId}|${w.from}|${w.kind}`, { ...w });
  }

  async endMaintenance(deviceId: string, at: number): Promise<number> {
    let n = 0;
    for (const w of this.windows.values())
      if (w.deviceId === deviceId && w.kind === 'maintenance' && w.from <= at && at < w.to) {
        w.to = at;
        n++;
      }
    return n;
  }

  async list(deviceId: string, from: number, to: number): Promise<DeviceWindow[]> {
    return (await this.listAll(from, to)).filter((w) => w.deviceId === deviceId);
  }

  listCalls = 0;
  async listAll(from: number, to: number): Promise<DeviceWindow[]> {
    this.listCalls++;
    return [...this.windows.values()]
      .filter((w) => w.to > from && w.from < to)
      .sort((a, b) => a.from - b.from || a.deviceId.localeCompare(b.deviceId));
  }
}

/** Alarms by raise time, as the byStatus index lists them. */
export class InMemoryAlarmHistory implements AlarmHistory {
  constructor(readonly alarms: Alarm[] = []) {}
  calls = 0;
  async raisedBetween(status: 'open' | 'closed', from: number, to: number): Promise<Alarm[]> {
    this.calls++;
    return this.alarms.filter((a) => a.status === status && a.raisedAt >= from && a.raisedAt <= to);
  }
}

/** A stored sample as the roll-up builder reads it. */
export interface RawSample {
  ts: number;
  seq: number;
  m: Record<string, number | boolean>;
}

/** The levels a device's metric is judged against, from the same conditions alarms use. */
export function levelsFor(device: Device): Map<string, AppliedLevels> {
  const levels = new Map<string, AppliedLevels>();
  for (const c of conditionsFor(device)) {
    if ((c.kind !== 'limit' && c.kind !== 'warn') || c.metric === undefined) continue;
    const l = levels.get(c.metric) ?? {};
    if (c.kind === 'limit') {
      if (c.direction === 'min') l.limitMin = c.level;
      else l.limitMax = c.level;
      l.citation = c.citation;
    } else if (c.direction === 'min') l.warnMin = c.level;
    else l.warnMax = c.level;
    levels.set(c.metric, l);
  }
  return levels;
}

const beyond = (v: number, min: number | undefined, max: number | undefined) =>
  (min !== undefined && v < min) || (max !== undefined && v > max);

/**
 * One metric over one period by brute force, following the definitions in core/rollup-types.ts sample by sample.
 * `samples` are the period's distinct samples, oldest first.
 */
function aggregate(
  samples: readonly RawSample[],
  metric: string,
  end: number,
  intervalMs: number,
  levels: AppliedLevels | undefined,
  flagged: (metric: string, value: number) => boolean,
): MetricAggregate | undefined {
  const carrying = samples.filter((s) => typeof s.m[metric] === 'number');
  if (carrying.length === 0) return undefined;
  const a: MetricAggregate = emptyAggregate();
  carrying.forEach((s, i) => {
    const v = s.m[metric] as number;
    const next = carrying[i + 1]?.ts ?? end;
    const weight = Math.min(next - s.ts, intervalMs);
    a.count++;
    a.firstTs ??= s.ts;
    a.lastTs = s.ts;
    if (flagged(metric, v)) {
      a.flagged++;
      a.flaggedMs += weight;
      return;
    }
    a.min = a.min === undefined ? v : Math.min(a.min, v);
    a.max = a.max === undefined ? v : Math.max(a.max, v);
    a.sum = (a.sum ?? 0) + v;
    a.validMs += weight;
    if (!levels) return;
    const overLimit = beyond(v, levels.limitMin, levels.limitMax);
    if (overLimit) {
      a.overLimit++;
      a.overLimitMs += weight;
    }
    if (overLimit || beyond(v, levels.warnMin, levels.warnMax)) {
      a.overWarning++;
      a.overWarningMs += weight;
    }
  });
  if (levels && (levels.limitMin !== undefined || levels.limitMax !== undefined)) a.levels = levels;
  return a;
}

/**
 * Hourly and daily roll-up items of one device from its raw samples, by brute force (duplicates by ts and seq count
 * once). `flagged` is the quality gate (default: outside the instrument's physical range).
 */
export function rollupsFromSamples(
  device: Device,
  raw: readonly RawSample[],
  options: { computedAt?: number; flagged?: (metric: string, value: number) => boolean } = {},
): RollupItem[] {
  const flagged = options.flagged ?? outOfRange;
  const distinct = [...new Map(raw.map((s) => [`${s.ts}#${s.seq}`, s])).values()].sort(
    (a, b) => a.ts - b.ts || a.seq - b.seq,
  );
  const levels = device.kind === 'water' ? levelsFor(device) : new Map<string, AppliedLevels>();
  const items: RollupItem[] = [];
  for (const period of ['hour', 'day'] as const) {
    const groups = new Map<number, RawSample[]>();
    for (const s of distinct) {
      const start = period === 'hour' ? Math.floor(s.ts / HOUR_MS) * HOUR_MS : chinaDayStart(s.ts);
      const group = groups.get(start);
      if (group) group.push(s);
      else groups.set(start, [s]);
    }
    for (const [start, samples] of groups) {
      const end = start + (period === 'hour' ? HOUR_MS : DAY_MS);
      const metrics: Record<string, MetricAggregate> = {};
      for (const metric of [...new Set(samples.flatMap((s) => Object.keys(s.m)))].sort()) {
        const a = aggregate(samples, metric, end, device.intervalS * 1000, levels.get(metric), flagged);
        if (a) metrics[metric] = a;
      }
      const item: RollupItem = {
        pk: device.id,
        sk: `${period === 'hour' ? 'h' : 'd'}#${String(start).padStart(13, '0')}`,
        period,
        deviceId: device.id,
        siteId: device.siteId,
        township: device.township,
        kind: device.kind,
        start,
        end,
        samples: samples.length,
        intervalS: device.intervalS,
        metrics,
        computedAt: options.computedAt ?? end,
      };
      if (device.kind === 'water') item.measurementPoint = device.measurementPoint;
      if (period === 'hour') item.ttl = Math.floor(end / 1000) + ROLLUP_RETENTION.hourDays * 86_400;
      else {
        item.tm = `${device.township}#${chinaMonth(start)}`;
        item.sdd = `${device.siteId}#${device.id}#${chinaDate(start)}`;
      }
      items.push(item);
    }
  }
  return items;
}

/**
 * A free-chlorine limit alarm of `device`, closed, raised by the sample at `sampleTs`; `over` changes any field
 * (a sensor fault, a bin overflow, an open episode).
 */
export function limitAlarm(
  device: Pick<Device, 'id' | 'siteId' | 'siteName' | 'township'>,
  sampleTs: number,
  over: Partial<Alarm> = {},
): Alarm {
  return {
    alarmId: 'A00000000',
    deviceId: device.id,
    siteId: device.siteId,
    siteName: device.siteName,
    township: device.township,
    measurementPoint: 'plant_outlet',
    condition: 'limit:free_chlorine_mg_l:min',
    metric: 'free_chlorine_mg_l',
    severity: 'critical',
    audience: 'operators',
    state: 'closed',
    status: 'closed',
    raisedAt: sampleTs,
    sampleTs,
    sampleReceivedAt: sampleTs,
    late: false,
    historyCount: 0,
    notificationCount: 0,
    lastChangeAt: sampleTs,
    pending: [],
    sending: {},
    ...over,
  };
}
