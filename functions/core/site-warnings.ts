import { conditionsFor } from './conditions/build';
import type { ThresholdCondition } from './conditions/types';
import type { Device } from './registry';

/** A site whose normal water sits beyond its own early-warning level: the warning would be on most of the time. */
export interface WarningLevelFinding {
  deviceId: string;
  siteId: string;
  siteName: string;
  metric: string;
  direction: 'min' | 'max';
  level: number;
  /** Median of the recent readings of the metric, and how many readings it is taken over. */
  median: number;
  samples: number;
}

/** Fewer readings than this say nothing about a site's normal operation. */
const MIN_MEDIAN_SAMPLES = 30;

/**
 * The device's early-warning levels (catalogue or `alarmSettings.limits.<metric>.warnMin/warnMax`) that its recent
 * median lies beyond. `medians` holds, per metric, the median of the recent readings and how many there were.
 */
export function warningLevelsBeyondMedian(
  device: Device,
  medians: ReadonlyMap<string, { median: number; samples: number }>,
): WarningLevelFinding[] {
  return conditionsFor(device).flatMap((c) => {
    if (c.kind !== 'warn') return [];
    const warn = c as ThresholdCondition;
    const m = medians.get(warn.metric);
    if (!m || m.samples < MIN_MEDIAN_SAMPLES) return [];
    const beyond = warn.direction === 'max' ? m.median > warn.level : m.median < warn.level;
    if (!beyond) return [];
    return [
      {
        deviceId: device.id,
        siteId: device.siteId,
        siteName: device.siteName,
        metric: warn.metric,
        direction: warn.direction,
        level: warn.level,
        median: m.median,
        samples: m.samples,
      },
    ];
  });
}

/** One line for the operator at start: site, metric, median, level, and the setting that fixes it. */
export function warningLevelText(f: WarningLevelFinding, days: number): string {
  const side = f.direction === 'max' ? 'above' : 'below';
  const setting = `alarmSettings.limits.${f.metric}.${f.direction === 'max' ? 'warnMax' : 'warnMin'}`;
  return (
    `WARNING: site ${f.siteName} (${f.siteId}), device ${f.deviceId}: ${f.metric} median ${round(f.median)} over ` +
    `the last ${days} days (${f.samples} readings) is ${side} its warning level ${round(f.level)}, so the early ` +
    `warning would be on most of the time; set ${setting} for this site`
  );
}

const round = (v: number) => Number(v.toPrecision(4));
