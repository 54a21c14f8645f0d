import { DETECTOR_DEFAULTS } from '../../functions/core/event-detector';
import { HOUR_MS } from '../../functions/shared/time';
import { jitter, num, rampIn, waterDevice, withMetrics } from './common';
import type { OutcomeSpec, ScenarioDef } from './types';

const faultOutcomes: readonly OutcomeSpec[] = [
  {
    check: 'alarm',
    severity: 'sensor_fault',
    metric: '$metric',
    audience: 'engineers',
    count: { min: 1, max: 1 },
  },
  { check: 'sms', audience: 'operators', count: { min: 0, max: 0 } },
];

const metricParam = {
  metric: { default: 'ph', type: 'metric', description: 'the channel that fails' },
} as const;

export const sensorStuck: ScenarioDef = {
  name: 'sensor-stuck',
  description:
    'One channel freezes at the value it had when the fault began, while its neighbours keep moving.',
  appliesTo: waterDevice,
  defaultTarget: 'first',
  // The stuck rule judges a run against the channel's own movement before it (at least 11 samples).
  defaultStartSamples: 15,
  params: metricParam,
  apply(sample, ctx) {
    const metric = ctx.params.metric ?? 'ph';
    return withMetrics(sample, { [metric]: num(ctx.baseAt(ctx.start), metric) });
  },
  expected: 'one sensor_fault alarm for engineers on the stuck channel; nothing to operators',
  outcomes: faultOutcomes,
};

/** Drift per hour when the user gives none: fouling pushes each kind of probe its own way. */
const DRIFT_PER_HOUR: Record<string, number> = {
  ph: 0.3,
  free_chlorine_mg_l: -0.06,
  total_chlorine_mg_l: -0.08,
  chlorine_dioxide_mg_l: -0.03,
  turbidity_ntu: 0.3,
  conductivity_us_cm: 40,
  temperature_c: 0.5,
  orp_mv: -25,
  dissolved_oxygen_mg_l: -0.4,
  pressure_kpa: -10,
};
const NEVER_NEGATIVE = new Set(
  Object.keys(DRIFT_PER_HOUR).filter((m) => m !== 'temperature_c' && m !== 'orp_mv'),
);

export const sensorDrift: ScenarioDef = {
  name: 'sensor-drift',
  description:
    'Calibration drifts: one channel moves steadily away from the truth; correlated channels do not follow. Starts after the event detector has commissioned, which tells it from an event.',
  appliesTo: waterDevice,
  defaultTarget: 'first',
  defaultStartSamples: 0,
  defaultStartMs: DETECTOR_DEFAULTS.commissioningHours * HOUR_MS + 2 * HOUR_MS,
  params: {
    ...metricParam,
    rate: {
      default: 'auto',
      type: 'auto-number',
      description: "drift per hour in the metric's unit (auto: typical for the probe)",
    },
  },
  apply(sample, ctx) {
    const metric = ctx.params.metric ?? 'ph';
    const rate = ctx.params.rate === 'auto' ? (DRIFT_PER_HOUR[metric] ?? 0.1) : Number(ctx.params.rate);
    const value = num(sample, metric) + (rate * ctx.elapsed) / HOUR_MS;
    return withMetrics(sample, { [metric]: NEVER_NEGATIVE.has(metric) ? Math.max(0, value) : value });
  },
  expected: 'one sensor_fault alarm for engineers on the drifting channel; nothing to operators',
  outcomes: faultOutcomes,
};

/** Values no instrument of that kind can report (docs/limits.md, "Instrument ranges"). */
const IMPOSSIBLE: Record<string, number> = {
  ph: 15.2,
  turbidity_ntu: -0.4,
  free_chlorine_mg_l: -0.08,
  total_chlorine_mg_l: -0.08,
  chlorine_dioxide_mg_l: -0.05,
  conductivity_us_cm: -12,
  temperature_c: 85,
  orp_mv: 1500,
  dissolved_oxygen_mg_l: -1.5,
  pressure_kpa: -20,
};

export const sensorOutOfRange: ScenarioDef = {
  name: 'sensor-out-of-range',
  description:
    'A failed probe reports a physically impossible value (pH 15, negative turbidity), with a little noise.',
  appliesTo: waterDevice,
  defaultTarget: 'first',
  defaultStartSamples: 3,
  params: {
    ...metricParam,
    value: {
      default: 'auto',
      type: 'auto-number',
      description: 'the impossible value (auto: per metric, e.g. pH 15.2)',
    },
  },
  apply(sample, ctx) {
    const metric = ctx.params.metric ?? 'ph';
    const value = ctx.params.value === 'auto' ? (IMPOSSIBLE[metric] ?? -1) : Number(ctx.params.value);
    return withMetrics(sample, { [metric]: value + jitter(ctx, Math.abs(value) * 0.004) });
  },
  expected:
    'one sensor_fault alarm for engineers (outside what the instrument can report); nothing to operators',
  outcomes: faultOutcomes,
};

export const lowBattery: ScenarioDef = {
  name: 'low-battery',
  description: 'The battery sags to 4 % over six samples and stays there.',
  appliesTo: { text: 'any device', test: () => true },
  defaultTarget: 'first',
  defaultStartSamples: 3,
  params: { level: { default: '4', type: 'number', description: 'battery level reached, %' } },
  apply(sample, ctx) {
    const level = Number(ctx.params.level);
    const b = sample.batteryPct - (sample.batteryPct - level) * rampIn(ctx, 6);
    return { ...sample, batteryPct: Math.round(Math.min(sample.batteryPct, b)) };
  },
  expected: 'one device alarm (low battery) for engineers, for a bin to sanitation; nothing to operators',
  outcomes: [
    {
      check: 'alarm',
      severity: 'device',
      audience: { water: 'engineers', bin: 'sanitation' },
      count: { min: 1, max: 1 },
    },
    { check: 'sms', audience: 'operators', count: { min: 0, max: 0 } },
  ],
};
