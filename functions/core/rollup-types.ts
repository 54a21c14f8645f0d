/**
 * Roll-ups: per device, hourly and daily aggregates of every metric it reports, the source of compliance reports and
 * long-range charts. Plain data, no AWS. Hours are UTC hours (China time has no DST and a whole-hour offset, so a UTC
 * hour is a China-time hour); days and months are China-time (UTC+8) days and months, as the county reports them.
 */

export type RollupPeriod = 'hour' | 'day';

/** China Standard Time, UTC+8 all year: the report calendar. */
export const REPORT_TIME_ZONE = 'Asia/Shanghai';
export const REPORT_UTC_OFFSET_MS = 8 * 3_600_000;

/** The limit and early-warning levels a metric was judged against in a period (from the device's conditions). */
export interface AppliedLevels {
  limitMin?: number;
  limitMax?: number;
  warnMin?: number;
  warnMax?: number;
  /** Citation of the limit, e.g. `GB 5749-2022 Table 2`. */
  citation?: string;
}

/**
 * One metric of one device over one period.
 *
 * - A sample is *flagged* by the quality gate when its value is outside the instrument's physical range or the
 *   channel is stuck at that sample (the same rules alarm evaluation uses); flagged samples are not *valid*.
 * - `min`/`max`/`sum` are over valid samples only; the mean is `sum / (count - flagged)`.
 * - A valid sample is *over the limit* when strictly beyond it (a value exactly at a limit complies, as GB 5749's
 *   "≤"/"≥" say), *over the warning level* when strictly beyond that level (which includes every sample over the limit).
 * - Time weighting: a sample stands for the time until the next sample of the same device that carries this metric
 *   within the same period, at most the device's reporting interval; the period's last sample stands for the time
 *   until the period ends, at most the interval. `*Ms` fields sum those weights.
 */
export interface MetricAggregate {
  /** Samples carrying a numeric value of this metric. */
  count: number;
  /** Of those, samples the quality gate flagged. */
  flagged: number;
  min?: number;
  max?: number;
  sum?: number;
  /** Times of the first and last sample with this metric (flagged or not), epoch ms. */
  firstTs?: number;
  lastTs?: number;
  overLimit: number;
  overWarning: number;
  validMs: number;
  overLimitMs: number;
  overWarningMs: number;
  flaggedMs: number;
  /** Absent for metrics without a limit (e.g. temperature). */
  levels?: AppliedLevels;
}

/** One roll-up item: every metric of one device over one hour or one China-time day. At most ~1 KB for 10 metrics. */
export interface RollupItem {
  /** Partition key: the device id. */
  pk: string;
  /** Sort key: `h#<start, 13-digit epoch ms>` for an hour, `d#<start, 13-digit epoch ms>` for a day. */
  sk: string;
  period: RollupPeriod;
  deviceId: string;
  siteId: string;
  township: string;
  kind: 'water' | 'bin';
  measurementPoint?: string;
  /** The period, [start, end), epoch ms. */
  start: number;
  end: number;
  /** Distinct samples stored in the period (any metric). */
  samples: number;
  /** The device's reporting interval when computed, s (completeness: expected = period / interval). */
  intervalS: number;
  metrics: Record<string, MetricAggregate>;
  computedAt: number;
  /** Daily items only (sparse index `byTownshipMonth`): `<township>#<YYYY-MM>` (China-time month). */
  tm?: string;
  /** Daily items only: `<siteId>#<deviceId>#<YYYY-MM-DD>` (China-time day). */
  sdd?: string;
  /** Expiry, epoch s: hourly items only (see ROLLUP_RETENTION); daily items are kept. */
  ttl?: number;
}

export const ROLLUP_RETENTION = { hourDays: 1_100 } as const;
