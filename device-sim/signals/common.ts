import { hash32, mulberry32, type Rng, uniformAt } from '../random';
import { DAY_MS, HOUR_MS } from '../time';

/**
 * Shared shapes of the simulated world. Every function is pure in (seed, keys, simulated time): weather and demand
 * are the same for every device that asks, which is what makes events correlate across a township.
 */

/** Xinjiang time (UTC+6), which daily life on the plateau follows, rather than Beijing time. */
export const LOCAL_UTC_OFFSET_H = 6;

export function localHour(ts: number): number {
  const ms = (((ts + LOCAL_UTC_OFFSET_H * HOUR_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return ms / HOUR_MS;
}

/** Local calendar day number since 1970 (changes at local midnight). */
export function localDay(ts: number): number {
  return Math.floor((ts + LOCAL_UTC_OFFSET_H * HOUR_MS) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday, local. */
export function localWeekday(ts: number): number {
  return (localDay(ts) + 4) % 7;
}

/** -1 in mid-January … +1 in mid-July. */
export function seasonal(ts: number): number {
  const dayOfYear = (ts / DAY_MS) % 365.2425;
  return Math.sin((2 * Math.PI * (dayOfYear - 106)) / 365.2425);
}

/** A daily cosine: +1 at `peakHour` local, -1 twelve hours later. */
export function diurnal(ts: number, peakHour: number): number {
  return Math.cos((2 * Math.PI * (localHour(ts) - peakHour)) / 24);
}

/** Water demand relative to the daily mean: low at night, peaks around 08:00 and 20:00. */
export function demandFactor(ts: number): number {
  const h = localHour(ts);
  const bump = (centre: number, width: number) => Math.exp(-(((h - centre) / width) ** 2));
  return 0.45 + 0.95 * bump(8, 1.6) + 0.85 * bump(20, 1.8) + 0.35 * bump(13.5, 2.5);
}

/** A slow wander in [-1, 1]: a few sines with periods of hours to days and phases fixed by the key. */
export function slowWave(seed: number, key: string, ts: number): number {
  const rng = mulberry32(hash32(seed, key, 'wave'));
  const periodsH = [7 + 5 * rng(), 29 + 20 * rng(), 80 + 60 * rng()];
  const weights = [0.2, 0.35, 0.45];
  let sum = 0;
  for (const [i, period] of periodsH.entries()) {
    sum += (weights[i] ?? 0) * Math.sin((2 * Math.PI * ts) / (period * HOUR_MS) + 2 * Math.PI * rng());
  }
  return sum;
}

/**
 * A wander about N(0, 1) over minutes to hours (`periodMs` its typical time scale): seeded Gaussian values one period
 * apart, joined smoothly. Pure in (seed, key, ts) like `slowWave`, and cheap (two draws a call); the short-term
 * movement of the water itself (a dosing loop hunting, blending) that correlated analysers all see.
 */
export function wander(seed: number, key: string, ts: number, periodMs: number): number {
  const x = ts / periodMs;
  const k = Math.floor(x);
  const w = (1 - Math.cos(Math.PI * (x - k))) / 2;
  const knot = (i: number) => {
    const rng = mulberry32(hash32(seed, key, 'wander', periodMs, i));
    return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  };
  return (1 - w) * knot(k) + w * knot(k + 1);
}

/**
 * Rain (or a snow-melt pulse) over a township, 0 (dry) … about 1 (a heavy storm): at most one event a day, more
 * likely in summer, rising over two hours from a random afternoon start and receding over the next day.
 */
export function rainIntensity(seed: number, township: string, ts: number): number {
  let total = 0;
  const today = localDay(ts);
  for (let day = today - 2; day <= today; day++) {
    const rng = mulberry32(hash32(seed, 'rain', township, day));
    const chance = 0.12 + 0.18 * Math.max(0, seasonal(day * DAY_MS));
    if (rng() >= chance) continue;
    const startH = 10 + 10 * rng();
    const peak = 0.3 + 0.7 * rng();
    const sinceH = (ts - (day * DAY_MS - LOCAL_UTC_OFFSET_H * HOUR_MS)) / HOUR_MS - startH;
    if (sinceH < 0) continue;
    total += sinceH < 2 ? (peak * sinceH) / 2 : peak * Math.exp(-(sinceH - 2) / 6);
  }
  return total;
}

/**
 * Battery state: the cell drains over `lifetimeDays` and is replaced, so a fleet shows every level between 15 %
 * and 100 % without any device crossing a low-battery threshold on its own.
 */
export function batteryPct(seed: number, deviceId: string, ts: number, lifetimeDays: number): number {
  const offset = uniformAt(seed, deviceId, 'battery') * lifetimeDays;
  const age = (((ts / DAY_MS + offset) % lifetimeDays) + lifetimeDays) % lifetimeDays;
  return Math.round(100 - (85 * age) / lifetimeDays);
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Noise for one sample; callers draw a fixed number of values so one channel never shifts another. */
export function noise(rng: Rng, sigma: number): number {
  const u = 1 - rng();
  const v = rng();
  return sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Decimal places each metric is reported with, as real instruments do. */
const METRIC_DECIMALS: Record<string, number> = {
  turbidity_ntu: 2,
  free_chlorine_mg_l: 2,
  total_chlorine_mg_l: 2,
  chlorine_dioxide_mg_l: 3,
  ph: 2,
  conductivity_us_cm: 0,
  temperature_c: 1,
  orp_mv: 0,
  dissolved_oxygen_mg_l: 2,
  pressure_kpa: 0,
  fill_pct: 1,
  distance_mm: 0,
};

/** Rounds every numeric metric to its reporting precision. */
export function roundMetrics(m: Record<string, number | boolean>): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [name, value] of Object.entries(m)) {
    out[name] = typeof value === 'number' ? round(value, METRIC_DECIMALS[name] ?? 2) : value;
  }
  return out;
}
