import { DETECTOR_DEFAULTS } from '../../../functions/core/event-detector';
import { HOUR, MINUTE } from '../../helpers/telemetry';

/** Normal data before a scenario: the detector's commissioning period and a few hours more. */
export const COMMISSIONING_SAMPLES = Math.ceil(((DETECTOR_DEFAULTS.commissioningHours + 6) * HOUR) / MINUTE);

/** A change added to the normal signal from sample `from` (inclusive) to `to` (exclusive). */
export interface Shift {
  from: number;
  to: number;
  add: Readonly<Record<string, number>>;
}

const quantise = (v: number, step: number) => Number((Math.round(v / step) * step).toFixed(6));

/**
 * One-minute plant-outlet readings, seeded: each channel's normal level with a slow daily cycle and noise of a few
 * reporting steps, quantised to the instrument's resolution as a real analyser reports it; `shifts` add steps.
 */
export function outletSeries(start: number, count: number, shifts: readonly Shift[] = [], seed = 1) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  // Sum of uniforms: close enough to Gaussian noise, and bounded.
  const noise = () => (uniform() + uniform() + uniform() + uniform() - 2) * 1.7;
  return Array.from({ length: count }, (_, i) => {
    const day = Math.sin((2 * Math.PI * i) / 1440);
    const m: Record<string, number> = {
      ph: 7.6 + 0.05 * day + 0.015 * noise(),
      orp_mv: 650 - 8 * day + 4 * noise(),
      free_chlorine_mg_l: 0.62 + 0.03 * day + 0.015 * noise(),
      conductivity_us_cm: 310 + 5 * day + 2 * noise(),
      turbidity_ntu: 0.15 + 0.01 * day + 0.005 * noise(),
      temperature_c: 6 + 0.5 * day + 0.05 * noise(),
    };
    for (const s of shifts)
      if (i >= s.from && i < s.to) for (const [k, v] of Object.entries(s.add)) m[k] = (m[k] ?? 0) + v;
    const steps: Record<string, number> = {
      ph: 0.01,
      orp_mv: 1,
      free_chlorine_mg_l: 0.01,
      conductivity_us_cm: 1,
      turbidity_ntu: 0.001,
      temperature_c: 0.1,
    };
    for (const k of Object.keys(m)) m[k] = quantise(m[k] as number, steps[k] ?? 0.01);
    return { ts: start + i * MINUTE, seq: i, m };
  });
}
