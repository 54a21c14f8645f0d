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

/**
 * Reporting resolution per watched channel: the smallest step the analyser reports (docs/limits.md, "Resolution and
 * stuck channels"). Two values are the same reading when they round to the same multiple of it. A site overrides it
 * with `alarmSettings.resolution.<metric>`.
 */
export const METRIC_RESOLUTION: Readonly<Record<(typeof STUCK_WATCHED)[number], number>> = {
  ph: 0.01,
  turbidity_ntu: 0.001,
  free_chlorine_mg_l: 0.01,
  total_chlorine_mg_l: 0.01,
  chlorine_dioxide_mg_l: 0.01,
  conductivity_us_cm: 1,
  orp_mv: 1,
};

/**
 * The stuck rule (docs/limits.md, "Resolution and stuck channels"). A run of one value (at the channel's resolution)
 * of at least `stuckSamples` samples is stuck only when the `reference` samples before it show a channel that moves
 * well above its resolution and the run is improbable for it:
 * - the steps before the run have a root-mean-square of at least `minStepUnits` resolution units and visit at least
 *   `minDistinct` different values (a value toggling between two or three neighbouring readings is sitting at the
 *   resolution, and long runs of it are normal);
 * - with `p` the larger of the share of repeats among those steps (Laplace-smoothed) and the chance that a step of
 *   that size rounds to zero, a run of `r` samples has probability `p^(r-1)`, below `improbability` (one in a
 *   million).
 * At least `minReferenceSteps` steps before the run are needed; with fewer (a run as long as the window) the verdict is
 * unknown and the alarm keeps its state.
 */
export const QUALITY_DEFAULTS = {
  stuckSamples: 10,
  reference: 30,
  minReferenceSteps: 10,
  minStepUnits: 1.5,
  minDistinct: 5,
  improbability: 1e-6,
} as const;

/** What the stuck rule needs for one channel. */
export interface StuckRule {
  /** Shortest run that can be stuck. */
  samples: number;
  /** Reporting resolution of the channel. */
  resolution: number;
  /** Samples before the run that tell how often the channel repeats. */
  reference: number;
}

/** Stuck (a fault), moving (not stuck), or unknown (too little before the run to judge: keep what was decided). */
export type StuckVerdict = 'stuck' | 'not_stuck' | 'unknown';

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
 * Whether a channel's newest values form an improbable run of one value while at least one other numeric channel of
 * the same samples moved: a frozen analyser, not steady water at the instrument's resolution. `window` is in time
 * order and ends at the sample being judged; it needs `rule.samples + rule.reference` samples to judge every run the
 * rule can flag. Deterministic: the same window gives the same verdict.
 */
export function stuckVerdict(window: readonly Sample[], metric: string, rule: StuckRule): StuckVerdict {
  const points = window.flatMap((s) => {
    const v = numericValue(s, metric);
    return v === undefined ? [] : [{ s, q: Math.round(v / rule.resolution) }];
  });
  const last = points.at(-1);
  if (!last) return 'unknown';
  let start = points.length - 1;
  while (start > 0 && (points[start - 1] as (typeof points)[number]).q === last.q) start--;
  const run = points.length - start;
  if (run < rule.samples) return 'not_stuck';
  const reference = points.slice(Math.max(0, start - rule.reference), start).map((x) => x.q);
  if (reference.length - 1 < QUALITY_DEFAULTS.minReferenceSteps) return 'unknown';
  return improbableRun(reference, run) &&
    neighbourMoved(
      points.slice(start).map((x) => x.s),
      metric,
    )
    ? 'stuck'
    : 'not_stuck';
}

/** Whether a run of `run` equal readings is improbable after `reference` (readings in resolution units). */
function improbableRun(reference: readonly number[], run: number): boolean {
  const steps = reference.length - 1;
  let repeats = 0;
  let squares = 0;
  for (let i = 1; i < reference.length; i++) {
    const step = (reference[i] as number) - (reference[i - 1] as number);
    if (step === 0) repeats++;
    squares += step * step;
  }
  const rms = Math.sqrt(squares / steps);
  if (rms < QUALITY_DEFAULTS.minStepUnits || new Set(reference).size < QUALITY_DEFAULTS.minDistinct)
    return false;
  // A normal step of this spread rounds to zero with probability erf(0.5 / (rms·√2)).
  const p = Math.max((repeats + 1) / (steps + 2), erf(0.5 / (rms * Math.SQRT2)));
  return p ** (run - 1) < QUALITY_DEFAULTS.improbability;
}

/** A frozen analyser, not steady water: some other numeric channel of the run's samples moved. */
function neighbourMoved(run: readonly Sample[], metric: string): boolean {
  const others = new Set(run.flatMap((s) => Object.keys(s.m)).filter((k) => k !== metric));
  return [...others].some((other) => {
    const values = run.map((s) => numericValue(s, other)).filter((v) => v !== undefined);
    return values.length >= 2 && values.some((v) => v !== values[0]);
  });
}

/** The error function (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7), for x ≥ 0. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 1 - poly * Math.exp(-x * x);
}
