import { median } from '../shared/stats';
import { CHINA_UTC_OFFSET_MS, HOUR_MS, MINUTE_MS } from '../shared/time';
import type { BinSettings, Device } from './registry';
import type { Sample } from './telemetry';

/**
 * Waste-bin domain: fill level from the sensor, collection detection, a robust fill rate and the forecast of when a
 * bin reaches its collection threshold. Pure functions over plain data; the caller supplies readings and time.
 */

export type BinDevice = Extract<Device, { kind: 'bin' }>;

/** Defaults of every bin setting; the fleet file overrides them per site type and per bin (`binSettings`). */
export const BIN_DEFAULTS = {
  collectionThresholdPct: 80,
  /** A bin at or above this fill overflows (critical); not configurable: full is full. */
  overflowPct: 100,
  collectedFromPct: 50,
  collectedToPct: 15,
  fireTemperatureC: 60,
  fireRiseC: 15,
  fireRiseMinutes: 10,
  minReadings: 6,
  minSpanHours: 2,
} as const;

export type ResolvedBinSettings = Required<BinSettings> & { overflowPct: number };

/** A bin's effective settings: the defaults, overridden by what the registry stored for it. */
export function binSettingsFor(device: Pick<BinDevice, 'binSettings'>): ResolvedBinSettings {
  return { ...BIN_DEFAULTS, ...device.binSettings };
}

/**
 * What a bin sensor can physically report. A fill more than 5 % outside 0–100 (from the firmware or derived from the
 * distance) is impossible; a bin's inside is hotter than any water during a fire and colder in a plateau winter.
 */
export const BIN_PHYSICAL_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  fill_pct: [-5, 105],
  distance_mm: [0, 10_000],
  temperature_c: [-40, 125],
};
const FILL_RANGE = BIN_PHYSICAL_RANGES.fill_pct as readonly [number, number];

/** Why a reading's fill is not used: knocked over, an echo from beyond the bin floor, an impossible fill. */
type FillFlag = 'tilted' | 'beyond_floor' | 'impossible_fill';

/** One sample's fill level. `fillPct` is clamped to 0–100; a flagged reading is left out of detection and forecasts. */
export interface FillReading {
  ts: number;
  seq: number;
  fillPct: number;
  /** Before clamping. */
  rawPct: number;
  source: 'fill_pct' | 'distance_mm';
  flag?: FillFlag;
}

export const isValid = (r: FillReading) => r.flag === undefined;

/** Ultrasonic sensors measure the distance down to the waste surface: fill = (1 − distance / depth) × 100, unclamped. */
export function fillFromDistance(distanceMm: number, depthMm: number): number {
  return (1 - distanceMm / depthMm) * 100;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const inRange = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v <= hi;

/**
 * The fill level of one sample: the firmware's `fill_pct` when sent, else derived from `distance_mm` and the bin's
 * registered depth. Undefined when the sample carries neither. The reading is flagged when the bin is tilted, when
 * the distance reaches beyond the floor (more than 5 % of the depth: the echo comes from the ground), or when the
 * fill is impossible; it still gets a clamped fill, so a list can show it.
 */
export function readFill(sample: Pick<Sample, 'ts' | 'seq' | 'm'>, depthMm: number): FillReading | undefined {
  const fill = sample.m.fill_pct;
  const distance = sample.m.distance_mm;
  const fromDistance = typeof distance === 'number' ? fillFromDistance(distance, depthMm) : undefined;
  let rawPct: number;
  let source: FillReading['source'];
  if (typeof fill === 'number') {
    rawPct = fill;
    source = 'fill_pct';
  } else if (fromDistance !== undefined) {
    rawPct = fromDistance;
    source = 'distance_mm';
  } else return undefined;
  const reading: FillReading = {
    ts: sample.ts,
    seq: sample.seq,
    fillPct: clamp(rawPct, 0, 100),
    rawPct,
    source,
  };
  if (sample.m.tilt === true) reading.flag = 'tilted';
  // Firmware clamps its fill_pct to 0 when the echo comes from the ground, so the distance is checked on its own.
  else if (fromDistance !== undefined && fromDistance < FILL_RANGE[0]) reading.flag = 'beyond_floor';
  else if (
    !inRange(rawPct, FILL_RANGE) ||
    (fromDistance !== undefined && !inRange(fromDistance, FILL_RANGE)) ||
    (typeof distance === 'number' && distance < 0)
  )
    reading.flag = 'impossible_fill';
  return reading;
}

/** Fill readings of samples, in time order; samples without a fill metric are skipped. */
export function fillSeries(
  samples: readonly Pick<Sample, 'ts' | 'seq' | 'm'>[],
  depthMm: number,
): FillReading[] {
  return samples
    .flatMap((s) => {
      const r = readFill(s, depthMm);
      return r ? [r] : [];
    })
    .sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

/** A collection: the fill fell from `fromPct` (reading at `fromTs`) to `toPct` (the emptied reading at `ts`). */
export interface DetectedCollection {
  ts: number;
  seq: number;
  fromTs: number;
  fromSeq: number;
  fromPct: number;
  toPct: number;
}

/**
 * Collections in a time-ordered series: a drop between consecutive valid readings from at least `collectedFromPct`
 * to at most `collectedToPct`. A partial emptying (70 → 40) or a bag taken out is not a collection; flagged readings
 * (tilted, echo from the ground) are skipped, so a knocked-over bin is not mistaken for an emptied one.
 */
export function detectCollections(
  readings: readonly FillReading[],
  settings: Pick<ResolvedBinSettings, 'collectedFromPct' | 'collectedToPct'>,
): DetectedCollection[] {
  const out: DetectedCollection[] = [];
  let previous: FillReading | undefined;
  for (const r of readings) {
    if (!isValid(r)) continue;
    if (previous && previous.fillPct >= settings.collectedFromPct && r.fillPct <= settings.collectedToPct) {
      out.push({
        ts: r.ts,
        seq: r.seq,
        fromTs: previous.ts,
        fromSeq: previous.seq,
        fromPct: previous.fillPct,
        toPct: r.fillPct,
      });
    }
    previous = r;
  }
  return out;
}

/**
 * Theil–Sen line through points: the slope is the median of all pairwise slopes, the intercept the median of the
 * residuals. Up to 29 % of the points may be outliers (a bag held under the sensor, compaction, a stray echo)
 * without moving the line, unlike least squares. O(n²): callers pass a bounded series.
 */
export function theilSen(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const a = points[i] as { x: number; y: number };
    for (let j = i + 1; j < points.length; j++) {
      const b = points[j] as { x: number; y: number };
      if (b.x !== a.x) slopes.push((b.y - a.y) / (b.x - a.x));
    }
  }
  const slope = slopes.length ? median(slopes) : 0;
  return { slope, intercept: median(points.map((p) => p.y - slope * p.x)) };
}

/** Below this rate a bin is treated as not filling: no forecast time (it would be weeks away or never). */
const MIN_RATE_PCT_PER_HOUR = 0.05;

/**
 * What the readings since the last collection say. `thresholdAt`/`fullAt` are epoch ms: in the past when the level
 * is already there (the start of the current run at or above it), in the future when forecast, absent when the bin
 * is not filling or there is not enough data.
 */
export interface BinForecast {
  status: 'ok' | 'not_enough_data';
  /** Why there is no forecast, in words for the crew lead. */
  reason?: string;
  /** Valid readings since the last collection that the forecast used. */
  readings: number;
  spanHours: number;
  /** The newest valid reading. */
  fillPct?: number;
  lastReadingAt?: number;
  /** Median of the newest three valid readings: one stray echo does not put a bin on the list. */
  levelPct?: number;
  thresholdPct: number;
  aboveThreshold: boolean;
  overflowing: boolean;
  ratePctPerHour?: number;
  /** Robust spread of the readings around the fitted line (1.4826 × MAD), %. */
  noisePct?: number;
  thresholdAt?: number;
  fullAt?: number;
}

/** The readings after the newest collection in the series (its emptied reading included). */
function sinceLastCollection(
  readings: readonly FillReading[],
  settings: Pick<ResolvedBinSettings, 'collectedFromPct' | 'collectedToPct'>,
): FillReading[] {
  const last = detectCollections(readings, settings).at(-1);
  return last
    ? readings.filter((r) => r.ts > last.ts || (r.ts === last.ts && r.seq >= last.seq))
    : [...readings];
}

/** Start of the newest run of valid readings at or above a level, if the newest one is. */
function runStart(valid: readonly FillReading[], level: number): number | undefined {
  let start: number | undefined;
  for (let i = valid.length - 1; i >= 0 && (valid[i] as FillReading).fillPct >= level; i--)
    start = (valid[i] as FillReading).ts;
  return start;
}

/**
 * Forecasts when a bin reaches its collection threshold and when it is full, from its readings since the last
 * collection (time-ordered; older readings and flagged ones are left out here). The fill rate is the Theil–Sen slope
 * in % per hour; the forecast extrapolates the fitted line from the newest reading. Fewer than `minReadings` valid
 * readings, or a span shorter than `minSpanHours`, give `not_enough_data` with the reason.
 */
export function forecastFill(readings: readonly FillReading[], settings: ResolvedBinSettings): BinForecast {
  const valid = sinceLastCollection(readings, settings).filter(isValid);
  const threshold = settings.collectionThresholdPct;
  const newest = valid.at(-1);
  const base = { thresholdPct: threshold, readings: valid.length, aboveThreshold: false, overflowing: false };
  if (!newest)
    return {
      ...base,
      status: 'not_enough_data',
      reason: 'no valid fill reading since the last collection',
      spanHours: 0,
    };
  const first = valid[0] as FillReading;
  const spanHours = (newest.ts - first.ts) / HOUR_MS;
  const levelPct = median(valid.slice(-3).map((r) => r.fillPct));
  const aboveThreshold = levelPct >= threshold;
  const overflowing = levelPct >= settings.overflowPct;
  const known: BinForecast = {
    ...base,
    status: 'ok',
    spanHours,
    fillPct: newest.fillPct,
    lastReadingAt: newest.ts,
    levelPct,
    aboveThreshold,
    overflowing,
  };
  const crossed = (level: number) => runStart(valid, level) ?? newest.ts;
  if (aboveThreshold) known.thresholdAt = crossed(threshold);
  if (overflowing) known.fullAt = crossed(settings.overflowPct);

  if (valid.length < settings.minReadings || spanHours < settings.minSpanHours) {
    const reason =
      valid.length < settings.minReadings
        ? `${valid.length} valid reading${valid.length === 1 ? '' : 's'} since the last collection; a forecast needs ${settings.minReadings}`
        : `readings since the last collection span ${spanHours.toFixed(1)} h; a forecast needs ${settings.minSpanHours} h`;
    return { ...known, status: 'not_enough_data', reason };
  }

  const points = valid.map((r) => ({ x: (r.ts - first.ts) / HOUR_MS, y: r.fillPct }));
  const { slope, intercept } = theilSen(points);
  const xNow = (newest.ts - first.ts) / HOUR_MS;
  const fitted = intercept + slope * xNow;
  known.ratePctPerHour = slope;
  known.noisePct = 1.4826 * median(points.map((p) => Math.abs(p.y - (intercept + slope * p.x))));
  const when = (level: number) =>
    fitted >= level ? newest.ts : newest.ts + ((level - fitted) / slope) * HOUR_MS;
  if (slope >= MIN_RATE_PCT_PER_HOUR) {
    known.thresholdAt ??= when(threshold);
    known.fullAt ??= when(settings.overflowPct);
  }
  return known;
}

/** Whether a bin belongs on a collection list covering `windowMs` from `now`: above its threshold, or due within. */
export function dueForCollection(f: BinForecast, now: number, windowMs: number): boolean {
  return f.aboveThreshold || (f.thresholdAt !== undefined && f.thresholdAt <= now + windowMs);
}

/**
 * Orders a collection list by urgency: overflowing bins, then bins above their threshold (longest first), then bins
 * by forecast time, then bins without a forecast (fullest first).
 */
export function byUrgency(a: BinForecast, b: BinForecast): number {
  const tier = (f: BinForecast) =>
    f.overflowing ? 0 : f.aboveThreshold ? 1 : f.thresholdAt !== undefined ? 2 : 3;
  return (
    tier(a) - tier(b) ||
    (a.thresholdAt ?? Number.POSITIVE_INFINITY) - (b.thresholdAt ?? Number.POSITIVE_INFINITY) ||
    (b.levelPct ?? -1) - (a.levelPct ?? -1)
  );
}

/** Why a temperature series means fire, if it does. */
export type FireEvidence = 'temperature' | 'rise';

/**
 * Fire in a bin: the newest temperature at or above `fireTemperatureC`, or a rise of at least `fireRiseC` within
 * `fireRiseMinutes` (W). Bins report every 15 minutes or so, so a rise over a longer gap counts at the same rate
 * (≥ fireRiseC per W), looking back at most 3 W; slower warming (sun on the lid) never counts.
 * `temps` is time-ordered and ends at the sample being judged.
 */
export function fireEvidence(
  temps: readonly { ts: number; c: number }[],
  settings: Pick<ResolvedBinSettings, 'fireTemperatureC' | 'fireRiseC' | 'fireRiseMinutes'>,
): FireEvidence | undefined {
  const current = temps.at(-1);
  if (!current) return undefined;
  if (current.c >= settings.fireTemperatureC) return 'temperature';
  const windowMs = settings.fireRiseMinutes * MINUTE_MS;
  for (const p of temps.slice(0, -1)) {
    const dt = current.ts - p.ts;
    if (dt <= 0 || dt > 3 * windowMs) continue;
    if (current.c - p.c >= (settings.fireRiseC * Math.max(dt, windowMs)) / windowMs) return 'rise';
  }
  return undefined;
}

/** How many samples the fire rule needs to see `fireRiseMinutes` back at a reporting interval. */
export function fireLookbackSamples(
  settings: Pick<ResolvedBinSettings, 'fireRiseMinutes'>,
  intervalS: number,
) {
  return Math.min(30, Math.ceil((settings.fireRiseMinutes * 60) / intervalS) + 1);
}

/** Fill over one local day (China Standard Time, as in the SMS texts). */
interface DailyFill {
  day: string;
  readings: number;
  minPct: number;
  maxPct: number;
  meanPct: number;
}

export interface FillHistorySummary {
  readings: number;
  valid: number;
  flagged: Partial<Record<FillFlag, number>>;
  minPct?: number;
  maxPct?: number;
  meanPct?: number;
  daily: DailyFill[];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Counts, range and daily min/max/mean of a fill series (valid readings only; flagged ones are counted by reason). */
export function summarizeFill(readings: readonly FillReading[]): FillHistorySummary {
  const valid = readings.filter(isValid);
  const flagged: Partial<Record<FillFlag, number>> = {};
  for (const r of readings) if (r.flag) flagged[r.flag] = (flagged[r.flag] ?? 0) + 1;
  const days = new Map<string, number[]>();
  for (const r of valid) {
    const day = new Date(r.ts + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), r.fillPct]);
  }
  const stats = (v: number[]) => ({
    minPct: round1(Math.min(...v)),
    maxPct: round1(Math.max(...v)),
    meanPct: round1(v.reduce((s, x) => s + x, 0) / v.length),
  });
  const summary: FillHistorySummary = {
    readings: readings.length,
    valid: valid.length,
    flagged,
    daily: [...days].map(([day, v]) => ({ day, readings: v.length, ...stats(v) })),
  };
  return valid.length ? { ...summary, ...stats(valid.map((r) => r.fillPct)) } : summary;
}
