import type { Audience } from '../alarm-types';
import { BIN_PHYSICAL_RANGES, type BinDevice, binSettingsFor, fireLookbackSamples } from '../bins';
import { type Citation, citationText } from '../citation';
import {
  applicableLimits,
  type Clause,
  defaultWarningLevel,
  LIMITS,
  type LimitRule,
  WARNING_DEFAULTS,
} from '../limits';
import { BIN_METRICS, ownValue, WATER_METRICS } from '../metrics';
import { METRIC_RESOLUTION, PHYSICAL_RANGES, QUALITY_DEFAULTS, STUCK_WATCHED } from '../quality';
import type { Device } from '../registry';
import { detectorConditions } from './detector';
import { BIN_ALARM_POLICY, DEVICE_DEFAULTS, GENERIC_POLICY, METRIC_POLICY_DEFAULTS } from './policy';
import type { Condition, ThresholdCondition } from './types';

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

/** A limit and its early warning; the warning is held back by the limit. */
function thresholdPair(
  device: Device,
  rule: Pick<LimitRule, 'metric' | 'direction' | 'value' | 'verify'> & { cite: Citation },
): ThresholdCondition[] {
  const override = ownValue(device.alarmSettings?.limits, rule.metric);
  const siteLevel = rule.direction === 'min' ? override?.min : override?.max;
  const level = siteLevel ?? rule.value;
  const cite: Citation = siteLevel === undefined ? rule.cite : { kind: 'site', replaces: rule.cite };
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
  const limitKey = `limit:${rule.metric}:${rule.direction}`;
  return [
    {
      ...common,
      ...verify,
      key: limitKey,
      kind: 'limit',
      severity: 'critical',
      level,
      deadband: deadbandFor(rule.metric, level),
      citation: citationText(cite),
    },
    {
      ...common,
      key: `warn:${rule.metric}:${rule.direction}`,
      kind: 'warn',
      severity: 'warning',
      level: warnLevel,
      deadband: deadbandFor(rule.metric, warnLevel),
      citation: citationText({ kind: 'warning', ahead: cite }),
      heldBy: limitKey,
    },
  ];
}

const clauseOf = (rule: Clause): Citation => ({
  kind: 'clause',
  clause: { standard: rule.standard, table: rule.table, short: rule.short },
});

/** A water device's limits (catalogue, then site-only ones) with their warnings, and its stuck-sensor checks. */
function waterConditions(
  device: Extract<Device, { kind: 'water' }>,
  catalogue: readonly LimitRule[],
): Condition[] {
  const conditions: Condition[] = [];
  const rules = applicableLimits(device, catalogue);
  for (const rule of rules) conditions.push(...thresholdPair(device, { ...rule, cite: clauseOf(rule) }));
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
          cite: { kind: 'site' },
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
      resolution: ownValue(device.alarmSettings?.resolution, metric) ?? METRIC_RESOLUTION[metric],
      reference: QUALITY_DEFAULTS.reference,
      severity: 'sensor_fault',
      audience: 'engineers',
    });
  }
  conditions.push(...detectorConditions());
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
      citation: citationText({ kind: 'note', text: 'bin full' }),
    },
    {
      ...fill,
      key: 'fill:threshold',
      severity: 'warning',
      level: s.collectionThresholdPct,
      citation: citationText({ kind: 'warning', ahead: { kind: 'note', text: 'collection threshold' } }),
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
      citation: citationText({
        kind: 'note',
        text: `fire: >= ${s.fireTemperatureC} C or +${s.fireRiseC} C in ${s.fireRiseMinutes} min`,
      }),
    },
    { key: 'tilt', kind: 'switch', metric: 'tilt', severity: 'warning', audience: 'sanitation' },
  ];
}

/** Instrument range checks, the battery and silence: watched on every device. */
function deviceConditions(device: Device): Condition[] {
  const conditions: Condition[] = [];
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
    citation: citationText({ kind: 'note', text: 'low battery' }),
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
  const own = device.kind === 'water' ? waterConditions(device, catalogue) : binConditions(device);
  return [...own, ...deviceConditions(device)];
}
