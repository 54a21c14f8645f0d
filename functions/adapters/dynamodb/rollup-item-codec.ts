import type { AppliedLevels, MetricAggregate, RollupItem } from '../../core/rollup-types';
import { DAY_MS, HOUR_MS } from '../../shared/time';

/**
 * A roll-up item as stored: the same content as {@link RollupItem} in about half the bytes, so an hour of ten metrics
 * stays near one write unit (1 KB) instead of three. What the keys already say (device, period, start, end) is not
 * stored again; each metric is one list of numbers in a fixed order with its times relative to the period's start;
 * citations are stored once per item. The GSI attributes (`tm`, `sdd`) and `ttl` stay as they are.
 */
export interface StoredRollup {
  pk: string;
  sk: string;
  site: string;
  town: string;
  kind: 'water' | 'bin';
  mp?: string;
  n: number;
  iv: number;
  at: number;
  /**
   * Per metric: count, flagged, index into `lv` (or null), min, max, sum, firstTs and lastTs after the start, then
   * validMs, overLimit, overWarning, overLimitMs, overWarningMs, flaggedMs; trailing zeros and nulls left off.
   */
  m: Record<string, (number | null)[]>;
  /** Levels: [limitMin, limitMax, warnMin, warnMax, citation index into `ct`]. */
  lv?: (number | null)[][];
  ct?: string[];
  tm?: string;
  sdd?: string;
  ttl?: number;
}

const COUNTS = ['count', 'flagged'] as const;
const VALUES = ['min', 'max', 'sum'] as const;
const TIMES = ['firstTs', 'lastTs'] as const;
const TOTALS = ['validMs', 'overLimit', 'overWarning', 'overLimitMs', 'overWarningMs', 'flaggedMs'] as const;
const LEVELS = ['limitMin', 'limitMax', 'warnMin', 'warnMax'] as const;

const orNull = (v: number | undefined) => (v === undefined ? null : v);

export function encodeRollup(item: RollupItem): StoredRollup {
  const citations: string[] = [];
  const levels: (number | null)[][] = [];
  const keyOf = new Map<string, number>();
  const levelIndex = (l: AppliedLevels | undefined): number | null => {
    if (!l) return null;
    let c: number | null = null;
    if (l.citation !== undefined) {
      c = citations.indexOf(l.citation);
      if (c < 0) c = citations.push(l.citation) - 1;
    }
    const tuple = [...LEVELS.map((k) => orNull(l[k])), c];
    const key = JSON.stringify(tuple);
    let i = keyOf.get(key);
    if (i === undefined) {
      i = levels.push(tuple) - 1;
      keyOf.set(key, i);
    }
    return i;
  };
  const m: Record<string, (number | null)[]> = {};
  for (const [metric, a] of Object.entries(item.metrics)) {
    const values = [
      ...COUNTS.map((k) => a[k]),
      levelIndex(a.levels),
      ...VALUES.map((k) => orNull(a[k])),
      ...TIMES.map((k) => (a[k] === undefined ? null : (a[k] as number) - item.start)),
      ...TOTALS.map((k) => a[k]),
    ];
    // Most hours are all within limits and unflagged: their counters are zeros, left off.
    while (values.length > 0 && (values.at(-1) === 0 || values.at(-1) === null)) values.pop();
    m[metric] = values;
  }
  const stored: StoredRollup = {
    pk: item.pk,
    sk: item.sk,
    site: item.siteId,
    town: item.township,
    kind: item.kind,
    n: item.samples,
    iv: item.intervalS,
    at: item.computedAt,
    m,
  };
  if (item.measurementPoint !== undefined) stored.mp = item.measurementPoint;
  if (levels.length > 0) stored.lv = levels;
  if (citations.length > 0) stored.ct = citations;
  if (item.tm !== undefined) stored.tm = item.tm;
  if (item.sdd !== undefined) stored.sdd = item.sdd;
  if (item.ttl !== undefined) stored.ttl = item.ttl;
  return stored;
}

export function decodeRollup(s: StoredRollup): RollupItem {
  const period = s.sk.startsWith('h#') ? 'hour' : 'day';
  const start = Number(s.sk.slice(2));
  const metrics: Record<string, MetricAggregate> = {};
  for (const [metric, v] of Object.entries(s.m)) {
    const at = (i: number) => v[i] ?? null;
    const a = { count: at(0) ?? 0, flagged: at(1) ?? 0 } as MetricAggregate;
    VALUES.forEach((k, i) => {
      const x = at(3 + i);
      if (x !== null) a[k] = x;
    });
    TIMES.forEach((k, i) => {
      const x = at(6 + i);
      if (x !== null) a[k] = start + x;
    });
    TOTALS.forEach((k, i) => {
      a[k] = at(8 + i) ?? 0;
    });
    const li = at(2);
    const tuple = li === null ? undefined : s.lv?.[li];
    if (tuple) {
      const levels: AppliedLevels = {};
      LEVELS.forEach((k, i) => {
        const x = tuple[i];
        if (x !== null && x !== undefined) levels[k] = x;
      });
      const c = tuple[4];
      if (c !== null && c !== undefined && s.ct?.[c] !== undefined) levels.citation = s.ct[c];
      a.levels = levels;
    }
    metrics[metric] = a;
  }
  const item: RollupItem = {
    pk: s.pk,
    sk: s.sk,
    period,
    deviceId: s.pk,
    siteId: s.site,
    township: s.town,
    kind: s.kind,
    start,
    end: start + (period === 'hour' ? HOUR_MS : DAY_MS),
    samples: s.n,
    intervalS: s.iv,
    metrics,
    computedAt: s.at,
  };
  if (s.mp !== undefined) item.measurementPoint = s.mp;
  if (s.tm !== undefined) item.tm = s.tm;
  if (s.sdd !== undefined) item.sdd = s.sdd;
  if (s.ttl !== undefined) item.ttl = s.ttl;
  return item;
}
