import type { Audience, Severity } from './alarm-types';
import type { Sample } from './contract';
import {
  applicableLimits,
  citation,
  defaultWarningLevel,
  LIMITS,
  type LimitRule,
  WARNING_DEFAULTS,
} from './limits';
import { BIN_METRICS, WATER_METRICS } from './metrics';
import {
  isStuck,
  numericValue,
  outOfRange,
  PHYSICAL_RANGES,
  QUALITY_DEFAULTS,
  STUCK_WATCHED,
} from './quality';
import type { Device } from './registry';

/** A sample as evaluated: with the time it reached the broker, to tell late data. */
export type EvalSample = Sample & { receivedAt: number };

interface ConditionBase {
  /** Stable key: one open alarm per device and key. */
  key: string;
  severity: Severity;
  audience: Audience;
  metric?: string;
}

export interface ThresholdCondition extends ConditionBase {
  kind: 'limit' | 'warn' | 'battery';
  metric: string;
  direction: 'min' | 'max';
  level: number;
  /** Clears only once back inside the level by this margin. */
  deadband: number;
  onDelay: { samples: number; seconds?: number };
  citation: string;
  verify?: boolean;
}

export interface RangeCondition extends ConditionBase {
  kind: 'range';
  metric: string;
  range: readonly [number, number];
}

export interface StuckCondition extends ConditionBase {
  kind: 'stuck';
  metric: string;
  samples: number;
}

export interface OfflineCondition extends ConditionBase {
  kind: 'offline';
  /** Silence longer than this, ms, makes the device offline. */
  afterMs: number;
}

export type Condition = ThresholdCondition | RangeCondition | StuckCondition | OfflineCondition;

export type Status = 'breach' | 'normal' | 'hold';

/**
 * Defaults per metric: how many consecutive breaching samples raise an alarm (on-delay) and by how much a value must
 * come back inside the level to clear it (deadband). Turbidity is noisy, so it waits for three samples.
 */
export const METRIC_POLICY_DEFAULTS: Readonly<Record<string, { samples: number; deadband: number }>> = {
  turbidity_ntu: { samples: 3, deadband: 0.1 },
  ph: { samples: 2, deadband: 0.1 },
  free_chlorine_mg_l: { samples: 2, deadband: 0.05 },
  total_chlorine_mg_l: { samples: 2, deadband: 0.05 },
  chlorine_dioxide_mg_l: { samples: 2, deadband: 0.02 },
};
/** For metrics not listed: two samples, and a deadband of 2 % of the level. */
export const GENERIC_POLICY = { samples: 2, deadbandFraction: 0.02 } as const;
export const DEVICE_DEFAULTS = { offlineIntervals: 3, lowBatteryPct: 20, batteryDeadband: 5 } as const;

function deadbandFor(metric: string, level: number): number {
  const fixed = METRIC_POLICY_DEFAULTS[metric]?.deadband;
  const band = fixed ?? Math.abs(level) * GENERIC_POLICY.deadbandFraction;
  // A deadband wider than half the level would keep a low minimum (0.02 mg/L) from ever clearing.
  return level > 0 ? Math.min(band, level / 2) : band;
}

function onDelayFor(device: Device, metric: string): { samples: number; seconds?: number } {
  const override = device.alarmSettings?.onDelay?.[metric];
  const samples = override?.samples ?? METRIC_POLICY_DEFAULTS[metric]?.samples ?? GENERIC_POLICY.samples;
  return override?.seconds === undefined ? { samples } : { samples, seconds: override.seconds };
}

function thresholdPair(
  device: Device,
  rule: Pick<LimitRule, 'metric' | 'direction' | 'value'> & { cite: string; verify?: boolean },
): ThresholdCondition[] {
  const override = device.alarmSettings?.limits?.[rule.metric];
  const level = (rule.direction === 'min' ? override?.min : override?.max) ?? rule.value;
  const cite =
    (rule.direction === 'min' ? override?.min : override?.max) === undefined
      ? rule.cite
      : `site limit (${rule.cite})`;
  const warnOverride = rule.direction === 'min' ? override?.warnMin : override?.warnMax;
  const warnLevel =
    warnOverride ??
    defaultWarningLevel(
      { ...rule, value: level },
      device.alarmSettings?.warningFraction ?? WARNING_DEFAULTS.fraction,
    );
  const onDelay = onDelayFor(device, rule.metric);
  const common = { audience: 'operators' as const, metric: rule.metric, direction: rule.direction, onDelay };
  const verify = rule.verify ? { verify: true } : {};
  return [
    {
      ...common,
      ...verify,
      key: `limit:${rule.metric}:${rule.direction}`,
      kind: 'limit',
      severity: 'critical',
      level,
      deadband: deadbandFor(rule.metric, level),
      citation: cite,
    },
    {
      ...common,
      key: `warn:${rule.metric}:${rule.direction}`,
      kind: 'warn',
      severity: 'warning',
      level: warnLevel,
      deadband: deadbandFor(rule.metric, warnLevel),
      citation: `early warning (${cite})`,
    },
  ];
}

/** Every condition watched on a device, from the limits catalogue, its site's settings and the quality rules. */
export function conditionsFor(device: Device, catalogue: readonly LimitRule[] = LIMITS): Condition[] {
  const conditions: Condition[] = [];
  if (device.kind === 'water') {
    const rules = applicableLimits(device, catalogue);
    for (const rule of rules) {
      conditions.push(...thresholdPair(device, { ...rule, cite: citation(rule) }));
    }
    for (const [metric, o] of Object.entries(device.alarmSettings?.limits ?? {})) {
      for (const direction of ['min', 'max'] as const) {
        const value = direction === 'min' ? o.min : o.max;
        if (value === undefined || rules.some((r) => r.metric === metric && r.direction === direction))
          continue;
        conditions.push(
          ...thresholdPair(device, {
            metric: metric as LimitRule['metric'],
            direction,
            value,
            cite: 'site limit',
          }),
        );
      }
    }
    const stuckSamples = device.alarmSettings?.stuckSamples ?? QUALITY_DEFAULTS.stuckSamples;
    for (const metric of STUCK_WATCHED) {
      conditions.push({
        key: `stuck:${metric}`,
        kind: 'stuck',
        metric,
        samples: stuckSamples,
        severity: 'sensor_fault',
        audience: 'engineers',
      });
    }
  }
  const metrics: readonly string[] = device.kind === 'water' ? WATER_METRICS : BIN_METRICS;
  for (const metric of metrics) {
    const range = PHYSICAL_RANGES[metric];
    if (range)
      conditions.push({
        key: `range:${metric}`,
        kind: 'range',
        metric,
        range,
        severity: 'sensor_fault',
        audience: 'engineers',
      });
  }
  const lowBattery = device.alarmSettings?.lowBatteryPct ?? DEVICE_DEFAULTS.lowBatteryPct;
  conditions.push({
    key: 'battery',
    kind: 'battery',
    metric: 'battery_pct',
    direction: 'min',
    level: lowBattery,
    deadband: DEVICE_DEFAULTS.batteryDeadband,
    onDelay: { samples: 2 },
    citation: 'low battery',
    severity: 'device',
    audience: 'engineers',
  });
  conditions.push({
    key: 'offline',
    kind: 'offline',
    afterMs:
      (device.alarmSettings?.offlineIntervals ?? DEVICE_DEFAULTS.offlineIntervals) * device.intervalS * 1000,
    severity: 'device',
    audience: 'engineers',
  });
  return conditions;
}

function usableValue(sample: Sample, metric: string): number | undefined {
  if (metric === 'battery_pct') return sample.batteryPct;
  const v = numericValue(sample, metric);
  // An impossible value says nothing about the water.
  return v === undefined || outOfRange(metric, v) ? undefined : v;
}

const beyond = (c: ThresholdCondition, v: number) => (c.direction === 'max' ? v > c.level : v < c.level);
const clearOf = (c: ThresholdCondition, v: number) =>
  c.direction === 'max' ? v <= c.level - c.deadband : v >= c.level + c.deadband;

function evaluateThreshold(
  c: ThresholdCondition,
  window: readonly EvalSample[],
  stuck: ReadonlySet<string>,
): Status {
  const current = window[window.length - 1];
  if (!current) return 'hold';
  const v = usableValue(current, c.metric);
  if (v === undefined || stuck.has(c.metric)) return 'hold';
  if (!beyond(c, v)) return clearOf(c, v) ? 'normal' : 'hold';
  let count = 0;
  let first = current;
  for (let i = window.length - 1; i >= 0; i--) {
    const s = window[i] as EvalSample;
    const x = usableValue(s, c.metric);
    if (x === undefined) continue;
    if (!beyond(c, x)) break;
    count++;
    first = s;
  }
  if (count >= c.onDelay.samples) return 'breach';
  if (c.onDelay.seconds !== undefined && count >= 2 && current.ts - first.ts >= c.onDelay.seconds * 1000)
    return 'breach';
  return 'hold';
}

/**
 * Judges every condition at the newest sample of `window` (time-ordered, newest last). Pure.
 * Quality comes first: an out-of-range or stuck channel is never judged against a limit, and an early warning is
 * held back while the limit itself is breached or already alarmed, so one event sends one SMS.
 */
export function evaluateConditions(
  conditions: readonly Condition[],
  window: readonly EvalSample[],
  openKeys: ReadonlySet<string>,
): Map<string, Status> {
  const result = new Map<string, Status>();
  const current = window[window.length - 1];
  if (!current) return result;
  const stuck = new Set<string>();
  for (const c of conditions) {
    if (c.kind === 'range') {
      const v = numericValue(current, c.metric);
      result.set(c.key, v === undefined ? 'hold' : outOfRange(c.metric, v) ? 'breach' : 'normal');
    } else if (c.kind === 'stuck') {
      if (numericValue(current, c.metric) === undefined) result.set(c.key, 'hold');
      else if (isStuck(window, c.metric, c.samples)) {
        stuck.add(c.metric);
        result.set(c.key, 'breach');
      } else {
        const previous = window.slice(0, -1).findLast((s) => numericValue(s, c.metric) !== undefined);
        const moved =
          previous !== undefined && numericValue(previous, c.metric) !== numericValue(current, c.metric);
        result.set(c.key, moved ? 'normal' : 'hold');
      }
    } else if (c.kind === 'offline') {
      result.set(c.key, 'normal');
    }
  }
  for (const c of conditions) {
    if (c.kind === 'limit' || c.kind === 'battery') result.set(c.key, evaluateThreshold(c, window, stuck));
  }
  for (const c of conditions) {
    if (c.kind !== 'warn') continue;
    let status = evaluateThreshold(c, window, stuck);
    const limitKey = `limit:${c.metric}:${c.direction}`;
    if (status === 'breach' && (result.get(limitKey) === 'breach' || openKeys.has(limitKey))) status = 'hold';
    result.set(c.key, status);
  }
  return result;
}
