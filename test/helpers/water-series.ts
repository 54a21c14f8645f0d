import { mulberry32 } from '../../device-sim/random';
import type { DetectorInput } from '../../functions/core/event-detector';
import { DAY_MS, MINUTE_MS } from '../../functions/shared/time';

/** 2026-01-01T00:00Z: synthetic series start on an hour boundary. */
const SERIES_T0 = Date.UTC(2026, 0, 1);

const quantise = (v: number, step: number) => Math.round(v / step) * step;

/** A contamination-like event: pH up 0.2 and ORP down 25 mV together from minute `from` for `minutes`. */
export function phOrpShift(from: number, minutes: number): NonNullable<SeriesOptions['shifts']> {
  return [
    { metric: 'ph', by: 0.2, from, minutes },
    { metric: 'orp_mv', by: -25, from, minutes },
  ];
}

export interface SeriesOptions {
  minutes: number;
  seed?: number;
  /** Amplitude of a 24-hour cycle in pH units (other channels follow in proportion); default 0. */
  dailyCycle?: number;
  /** Added to a channel from `from` (minute index) for `minutes` (Infinity: for good). */
  shifts?: { metric: string; by: number; from: number; minutes: number }[];
  /** Per minute drift added to a channel from `from` onward. */
  drift?: { metric: string; perMinute: number; from: number };
  /** Minute indices whose row has no values at all, and channel gaps. */
  emptyRows?: (i: number) => boolean;
  missing?: (metric: string, i: number) => boolean;
}

/**
 * One minute-by-minute water series: pH and ORP share a common component (they move together, as on real networks),
 * chlorine, conductivity, turbidity and temperature wander on their own; every value is reported at its
 * instrument's resolution (pH and chlorine 0.01, ORP and conductivity 1, turbidity 0.001, temperature 0.1).
 */
export function waterSeries(options: SeriesOptions): DetectorInput[] {
  const rnd = mulberry32(options.seed ?? 1);
  const gauss = () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const out: DetectorInput[] = [];
  let common = 0;
  let cl = 0;
  let cond = 0;
  for (let i = 0; i < options.minutes; i++) {
    const ts = SERIES_T0 + i * MINUTE_MS;
    // Slow random walks (mean-reverting) plus measurement noise.
    common = 0.97 * common + 0.3 * gauss();
    cl = 0.98 * cl + 0.2 * gauss();
    cond = 0.98 * cond + 0.3 * gauss();
    const cycle = (options.dailyCycle ?? 0) * Math.sin((2 * Math.PI * (ts - SERIES_T0)) / DAY_MS);
    const raw: Record<string, number> = {
      ph: 8.3 + 0.02 * common + cycle + 0.006 * gauss(),
      orp_mv: 750 - 2.5 * common - 250 * cycle + 0.8 * gauss(),
      free_chlorine_mg_l: 0.3 + 0.01 * cl + 0.004 * gauss(),
      conductivity_us_cm: 400 + 1.5 * cond + 0.5 * gauss(),
      turbidity_ntu: 0.2 + 0.003 * gauss(),
      temperature_c: 8 + 10 * cycle + 0.04 * gauss(),
    };
    for (const s of options.shifts ?? []) {
      if (i >= s.from && i < s.from + s.minutes) raw[s.metric] = (raw[s.metric] as number) + s.by;
    }
    const d = options.drift;
    if (d && i >= d.from) raw[d.metric] = (raw[d.metric] as number) + d.perMinute * (i - d.from);
    const values: Record<string, number | undefined> = {};
    if (!options.emptyRows?.(i)) {
      values.ph = quantise(raw.ph as number, 0.01);
      values.orp_mv = quantise(raw.orp_mv as number, 1);
      values.free_chlorine_mg_l = quantise(raw.free_chlorine_mg_l as number, 0.01);
      values.conductivity_us_cm = quantise(raw.conductivity_us_cm as number, 1);
      values.turbidity_ntu = quantise(raw.turbidity_ntu as number, 0.001);
      values.temperature_c = quantise(raw.temperature_c as number, 0.1);
      for (const m of Object.keys(values)) if (options.missing?.(m, i)) values[m] = undefined;
    }
    out.push({ ts, values });
  }
  return out;
}
