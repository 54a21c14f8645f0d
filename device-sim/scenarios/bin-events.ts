import { fillFromDistance } from '../signals/bin';
import { clamp } from '../signals/common';
import { binDevice, num, rampIn, withMetrics } from './common';
import type { ApplyContext, ScenarioDef } from './types';

const depthOf = (ctx: ApplyContext) => (ctx.device.kind === 'bin' ? ctx.device.depthMm : 1000);

export const binOverflow: ScenarioDef = {
  name: 'bin-overflow',
  description:
    'A missed round on a busy day: the bin fills to the rim within four samples and waste heaps above it.',
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  apply(sample, ctx) {
    const depth = depthOf(ctx);
    const base = num(sample, 'fill_pct');
    const fill = base + (100 - base) * rampIn(ctx, 4);
    // Within the sensor's blind zone the firmware reports the bin as full.
    if (fill >= 99) return withMetrics(sample, { distance_mm: 15 + 20 * ctx.rng(), fill_pct: 100 });
    const distance = depth * (1 - fill / 100);
    return withMetrics(sample, { distance_mm: distance, fill_pct: fillFromDistance(distance, depth) });
  },
  expected: 'one critical overflow alarm (fill ≥ 100 %) and an SMS to sanitation',
  outcomes: [
    { check: 'alarm', severity: 'critical', metric: 'fill_pct', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'sanitation', count: { min: 1 } },
  ],
};

export const binFire: ScenarioDef = {
  name: 'bin-fire',
  description:
    'Hot ash in the bin: the temperature climbs past 60 °C within two samples; smoke scatters the ultrasonic echo.',
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  apply(sample, ctx) {
    const depth = depthOf(ctx);
    const ambient = num(sample, 'temperature_c');
    const peak = 85 + 10 * ctx.rng();
    const temperature =
      ambient + (peak - ambient) * (1 - Math.exp(-(ctx.elapsed + ctx.intervalMs) / (1.2 * ctx.intervalMs)));
    const distance = clamp(num(sample, 'distance_mm') * (0.6 + 0.8 * ctx.rng()), 0, depth);
    return withMetrics(sample, {
      temperature_c: temperature,
      distance_mm: distance,
      fill_pct: fillFromDistance(distance, depth),
    });
  },
  expected: 'one critical fire alarm (temperature) with SMS to sanitation and to supervisors',
  outcomes: [
    { check: 'alarm', severity: 'critical', metric: 'temperature_c', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'sanitation', count: { min: 1 } },
    { check: 'sms', audience: 'supervisors', count: { min: 1 } },
  ],
};

export const binTilt: ScenarioDef = {
  name: 'bin-tilt',
  description:
    'The bin is knocked over: the tilt switch closes and the echo comes from the ground, beyond the bin floor.',
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  apply(sample, ctx) {
    const depth = depthOf(ctx);
    const distance = depth * (1.15 + 0.3 * ctx.rng());
    return withMetrics(sample, {
      tilt: true,
      distance_mm: distance,
      fill_pct: fillFromDistance(distance, depth),
    });
  },
  expected: 'one tilt alarm with an SMS to sanitation',
  outcomes: [
    { check: 'alarm', metric: 'tilt', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'sanitation', count: { min: 1 } },
  ],
};
