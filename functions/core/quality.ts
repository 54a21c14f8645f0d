import { ownValue } from './metrics';
import type { Sample } from './telemetry';

/**
 * What instruments can physically report (docs/limits.md, "Instrument ranges"). A value outside its range is a sensor
 * fault, never unsafe water.
 */
export const PHYSICAL_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  ph: [0, 14],
  turbidity_ntu: [0, 4000],
  free_chlorine_mg_l: [0, 20],
  total_chlorine_mg_l: [0, 20],
  chlorine_dioxide_mg_l: [0, 20],
  conductivity_us_cm: [0, 200_000],
  tds_mg_l: [0, 100_000],
  temperature_c: [-5, 50],
  orp_mv: [-1000, 1000],
  dissolved_oxygen_mg_l: [0, 25],
  nitrate_n_mg_l: [0, 100],
  ammonia_n_mg_l: [0, 100],
  fluoride_mg_l: [0, 20],
  codmn_mg_l: [0, 100],
  pressure_kpa: [0, 2500],
  flow_m3_h: [0, 100_000],
  fill_pct: [0, 100],
  distance_mm: [0, 10_000],
};

/** Channels watched for a stuck value: analysers whose reading always moves a little when working. */
export const STUCK_WATCHED = [
  'ph',
  'turbidity_ntu',
  'free_chlorine_mg_l',
  'total_chlorine_mg_l',
  'chlorine_dioxide_mg_l',
  'conductivity_us_cm',
  'orp_mv',
] as const;

export const QUALITY_DEFAULTS = { stuckSamples: 10 } as const;

export function numericValue(sample: Sample, metric: string): number | undefined {
  const v = ownValue(sample.m, metric);
  return typeof v === 'number' ? v : undefined;
}

/** Whether a value is outside what the instrument can report; unknown metrics are never out of range. */
export function outOfRange(metric: string, value: number): boolean {
  const range = ownValue(PHYSICAL_RANGES, metric);
  return range !== undefined && (value < range[0] || value > range[1]);
}

/**
 * A channel is stuck when its last `n` values (ending at the newest sample) are identical while at least one other
 * numeric channel of the same samples moved: a frozen analyser, not steady water.
 * `window` is in time order and ends at the sample being judged.
 */
export function isStuck(window: readonly Sample[], metric: string, n: number): boolean {
  const withMetric = window.filter((s) => numericValue(s, metric) !== undefined);
  if (withMetric.length < n) return false;
  const recent = withMetric.slice(-n);
  const first = numericValue(recent[0] as Sample, metric);
  if (!recent.every((s) => numericValue(s, metric) === first)) return false;
  const others = new Set(recent.flatMap((s) => Object.keys(s.m)).filter((k) => k !== metric));
  return [...others].some((other) => {
    const values = recent.map((s) => numericValue(s, other)).filter((v) => v !== undefined);
    return values.length >= 2 && values.some((v) => v !== values[0]);
  });
}
