import type { Audience, Severity } from './alarm-types';
import {
  BIN_PHYSICAL_RANGES,
  type BinDevice,
  binSettingsFor,
  fireEvidence,
  fireLookbackSamples,
  isValid,
  readFill,
} from './bins';
import type { Sample } from './contract';
import {
  applicableLimits,
  citation,
  defaultWarningLevel,
  LIMITS,
  type LimitRule,
  WARNING_DEFAULTS,
} from './limits';
import { BIN_METRICS, ownValue, WATER_METRICS } from './metrics';
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
  /** Further audiences that get the same notifications (raised, cleared) as `audience`, e.g. supervisors of a fire. */
  alsoNotify?: readonly Audience[];
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

/** A bin's fill level (from `fill_pct` or the distance) at or above a level; flagged readings are not judged. */
export interface FillCondition extends ConditionBase {
  kind: 'fill';
  metric: 'fill_pct';
  /** Breach at or above this fill, %. */
  level: number;
  deadband: number;
  onDelay: { samples: number };
  depthMm: number;
  citation: string;
  /** Held back while this condition breaches or is alarmed (the warning while the bin overflows). */
  heldBy?: string;
}

/** Fire in a bin: temperature at or above a level, or a fast rise (core/bins.ts `fireEvidence`). */
export interface FireCondition extends ConditionBase {
  kind: 'fire';
  metric: 'temperature_c';
  level: number;
  riseC: number;
  riseMinutes: number;
  /** Clears once the temperature is this far below the level and no longer rising. */
  deadband: number;
  /** Samples the rise rule looks back over. */
  lookback: number;
  citation: string;
}

/** A boolean channel: `true` breaches, `false` clears (a bin's tilt switch). */
export interface SwitchCondition extends ConditionBase {
  kind: 'switch';
  metric: string;
}

export type Condition =
  | ThresholdCondition
  | RangeCondition
  | StuckCondition
  | OfflineCondition
  | FillCondition
  | FireCondition
  | SwitchCondition;

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
/**
 * Bin alarm policy: a fill level must hold two samples (a hand or a bag under the sensor reads as full for one), with
 * a 5 % deadband; a fire needs one sample and clears 10 °C below its level; a tilt needs one sample.
 */
export const BIN_ALARM_POLICY = { fillSamples: 2, fillDeadband: 5, fireDeadband: 10 } as const;

function deadbandFor(metric: string, level: number): number {
  const fixed = ownValue(METRIC_POLICY_DEFAULTS, metric)?.deadband;
  const band = fixed ?? Math.abs(level) * GENERIC_POLICY.deadbandFraction;
  // A deadband wider than half the level would keep a low minimum (0.02 mg/L) from ever clearing.
  return level > 0 ? Math.min(band, level / 2) : band;
}

function onDelayFor(device: Device, metric: string): { samples: number; seconds?: number } {
  const override = ownValue(device.alarmSettings?.onDelay, metric);
  const samples =
    override?.samples ?? ownValue(METRIC_POLICY_DEFAULTS, metric)?.samples ?? GENERIC_POLICY.samples;
  return override?.seconds === undefined ? { samples } : { samples, seconds: override.seconds };
}

function thresholdPair(
  device: Device,
  rule: Pick<LimitRule, 'metric' | 'direction' | 'value'> & { cite: string; verify?: boolean },
): ThresholdCondition[] {
  const override = ownValue(device.alarmSettings?.limits, rule.metric);
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

/** Conditions per device object for the default catalogue; registry look-ups hand out the same object while cached. */
const conditionsCache = new WeakMap<Device, readonly Condition[]>();

/**
 * Every condition watched on a device, from the limits catalogue, its site's settings and the quality rules.
 * A device is a value: the answer for the default catalogue is computed once per device object (ingest asks for
 * every device of every batch), so a changed device must be a new object, as the registry's are.
 */
export function conditionsFor(device: Device, catalogue: readonly LimitRule[] = LIMITS): Condition[] {
  if (catalogue !== LIMITS) return buildConditions(device, catalogue);
  let conditions = conditionsCache.get(device);
  if (!conditions) {
    conditions = Object.freeze(buildConditions(device, catalogue));
    conditionsCache.set(device, conditions);
  }
  return conditions as Condition[];
}

function buildConditions(device: Device, catalogue: readonly LimitRule[]): Condition[] {
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
  if (device.kind === 'bin') conditions.push(...binConditions(device));
  const metrics: readonly string[] = device.kind === 'water' ? WATER_METRICS : BIN_METRICS;
  const ranges = device.kind === 'water' ? PHYSICAL_RANGES : BIN_PHYSICAL_RANGES;
  for (const metric of metrics) {
    const range = ownValue(ranges, metric);
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
  // Sanitation crews visit the bins and change their batteries; instrument faults stay with engineers.
  const deviceAudience: Audience = device.kind === 'bin' ? 'sanitation' : 'engineers';
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
    audience: deviceAudience,
  });
  conditions.push({
    key: 'offline',
    kind: 'offline',
    afterMs:
      (device.alarmSettings?.offlineIntervals ?? DEVICE_DEFAULTS.offlineIntervals) * device.intervalS * 1000,
    severity: 'device',
    audience: deviceAudience,
  });
  return conditions;
}

/**
 * A bin's own conditions, all for sanitation: fill above the collection threshold (warning), overflow (critical),
 * fire (critical, also to supervisors) and tilt (warning).
 */
function binConditions(device: BinDevice): Condition[] {
  const s = binSettingsFor(device);
  const fill = {
    kind: 'fill' as const,
    metric: 'fill_pct' as const,
    audience: 'sanitation' as const,
    deadband: BIN_ALARM_POLICY.fillDeadband,
    onDelay: { samples: BIN_ALARM_POLICY.fillSamples },
    depthMm: device.depthMm,
  };
  return [
    {
      ...fill,
      key: 'fill:overflow',
      severity: 'critical',
      level: s.overflowPct,
      citation: 'bin full',
    },
    {
      ...fill,
      key: 'fill:threshold',
      severity: 'warning',
      level: s.collectionThresholdPct,
      citation: 'early warning (collection threshold)',
      heldBy: 'fill:overflow',
    },
    {
      key: 'fire',
      kind: 'fire',
      metric: 'temperature_c',
      severity: 'critical',
      audience: 'sanitation',
      alsoNotify: ['supervisors'],
      level: s.fireTemperatureC,
      riseC: s.fireRiseC,
      riseMinutes: s.fireRiseMinutes,
      deadband: BIN_ALARM_POLICY.fireDeadband,
      lookback: fireLookbackSamples(s, device.intervalS),
      citation: `fire: >= ${s.fireTemperatureC} C or +${s.fireRiseC} C in ${s.fireRiseMinutes} min`,
    },
    { key: 'tilt', kind: 'switch', metric: 'tilt', severity: 'warning', audience: 'sanitation' },
  ];
}

/** How many samples, ending at the one judged, `evaluateConditions` needs to see for these conditions. */
export function historyFor(conditions: readonly Condition[]): number {
  return Math.max(
    1,
    ...conditions.map((c) =>
      c.kind === 'stuck'
        ? c.samples
        : c.kind === 'fire'
          ? c.lookback
          : 'onDelay' in c
            ? c.onDelay.samples
            : 1,
    ),
  );
}

function binTemperature(sample: Sample): number | undefined {
  const v = numericValue(sample, 'temperature_c');
  const range = BIN_PHYSICAL_RANGES.temperature_c as readonly [number, number];
  return v === undefined || v < range[0] || v > range[1] ? undefined : v;
}

function binFillValue(sample: Sample, depthMm: number): number | undefined {
  const r = readFill(sample, depthMm);
  return r && isValid(r) ? r.fillPct : undefined;
}

/** The value a condition looks at in a sample, as an alarm reports it (a bin's fill derived, rounded to 0.1 %). */
export function observedValue(c: Condition, sample: Sample): number | boolean | undefined {
  if (c.kind === 'fill') {
    const v = binFillValue(sample, c.depthMm);
    return v === undefined ? undefined : Math.round(v * 10) / 10;
  }
  if (c.metric === 'battery_pct') return sample.batteryPct;
  return c.metric === undefined ? undefined : ownValue(sample.m, c.metric);
}

function usableValue(sample: Sample, metric: string): number | undefined {
  if (metric === 'battery_pct') return sample.batteryPct;
  const v = numericValue(sample, metric);
  // An impossible value says nothing about the water.
  return v === undefined || outOfRange(metric, v) ? undefined : v;
}

interface LevelRule {
  read(sample: Sample): number | undefined;
  beyond(v: number): boolean;
  clearOf(v: number): boolean;
  onDelay: { samples: number; seconds?: number };
}

/** A level held for the on-delay breaches; back inside by the deadband is normal; anything between holds. */
function evaluateLevel(rule: LevelRule, window: readonly EvalSample[]): Status {
  const current = window[window.length - 1];
  if (!current) return 'hold';
  const v = rule.read(current);
  if (v === undefined) return 'hold';
  if (!rule.beyond(v)) return rule.clearOf(v) ? 'normal' : 'hold';
  let count = 0;
  let first = current;
  for (let i = window.length - 1; i >= 0; i--) {
    const s = window[i] as EvalSample;
    const x = rule.read(s);
    if (x === undefined) continue;
    if (!rule.beyond(x)) break;
    count++;
    first = s;
  }
  if (count >= rule.onDelay.samples) return 'breach';
  if (
    rule.onDelay.seconds !== undefined &&
    count >= 2 &&
    current.ts - first.ts >= rule.onDelay.seconds * 1000
  )
    return 'breach';
  return 'hold';
}

function evaluateThreshold(
  c: ThresholdCondition,
  window: readonly EvalSample[],
  stuck: ReadonlySet<string>,
): Status {
  if (stuck.has(c.metric)) return 'hold';
  return evaluateLevel(
    {
      read: (s) => usableValue(s, c.metric),
      beyond: (v) => (c.direction === 'max' ? v > c.level : v < c.level),
      clearOf: (v) => (c.direction === 'max' ? v <= c.level - c.deadband : v >= c.level + c.deadband),
      onDelay: c.onDelay,
    },
    window,
  );
}

function evaluateFill(c: FillCondition, window: readonly EvalSample[]): Status {
  return evaluateLevel(
    {
      read: (s) => binFillValue(s, c.depthMm),
      beyond: (v) => v >= c.level,
      clearOf: (v) => v <= c.level - c.deadband,
      onDelay: c.onDelay,
    },
    window,
  );
}

function evaluateFire(c: FireCondition, window: readonly EvalSample[]): Status {
  const temps = window.slice(-c.lookback).flatMap((s) => {
    const t = binTemperature(s);
    return t === undefined ? [] : [{ ts: s.ts, c: t }];
  });
  const current = temps.at(-1);
  if (!current || current.ts !== window.at(-1)?.ts) return 'hold';
  if (fireEvidence(temps, { fireTemperatureC: c.level, fireRiseC: c.riseC, fireRiseMinutes: c.riseMinutes }))
    return 'breach';
  const previous = temps.at(-2);
  return current.c < c.level - c.deadband && (!previous || current.c <= previous.c) ? 'normal' : 'hold';
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
      const out = v !== undefined && (v < c.range[0] || v > c.range[1]);
      result.set(c.key, v === undefined ? 'hold' : out ? 'breach' : 'normal');
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
    } else if (c.kind === 'switch') {
      const v = ownValue(current.m, c.metric);
      result.set(c.key, v === true ? 'breach' : v === false ? 'normal' : 'hold');
    } else if (c.kind === 'fire') {
      result.set(c.key, evaluateFire(c, window));
    }
  }
  for (const c of conditions) {
    if (c.kind === 'limit' || c.kind === 'battery') result.set(c.key, evaluateThreshold(c, window, stuck));
    else if (c.kind === 'fill' && c.heldBy === undefined) result.set(c.key, evaluateFill(c, window));
  }
  for (const c of conditions) {
    if (c.kind !== 'fill' || c.heldBy === undefined) continue;
    let status = evaluateFill(c, window);
    if (status === 'breach' && (result.get(c.heldBy) === 'breach' || openKeys.has(c.heldBy))) status = 'hold';
    result.set(c.key, status);
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
