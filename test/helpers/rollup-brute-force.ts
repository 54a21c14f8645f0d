import {
  METRIC_RESOLUTION,
  PHYSICAL_RANGES,
  QUALITY_DEFAULTS,
  STUCK_WATCHED,
  stuckVerdict,
} from '../../functions/core/quality';
import type { Device } from '../../functions/core/registry';
import { emptyAggregate } from '../../functions/core/rollup';
import type { AppliedLevels, MetricAggregate } from '../../functions/core/rollup-types';
import type { Sample } from '../../functions/core/telemetry';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A roll-up computed the slow, obvious way from a device's whole stored series (one item per (ts, seq), in key
 * order): each sample judged on its own against the instrument range, the stuck rule (the core's `stuckVerdict`,
 * tested on its own) over the `window` samples ending at it (taken from the whole series, not from what one hour
 * reads) and the given levels, strictly beyond
 * a level breaching; a sample weighs the time to the next sample with the metric within its hour, at most the
 * device's interval. Returns what the period holds.
 */
export function bruteForceRollup(
  device: Device,
  stored: readonly Sample[],
  period: 'hour' | 'day',
  start: number,
  opts: { window: number; levels: Record<string, AppliedLevels> },
) {
  return bruteForceRollups(device, stored, opts)(period, start);
}

/** {@link bruteForceRollup} for many periods of one series: the samples are judged once. */
export function bruteForceRollups(
  device: Device,
  stored: readonly Sample[],
  opts: { window: number; levels: Record<string, AppliedLevels> },
) {
  const stuckN = device.alarmSettings?.stuckSamples ?? QUALITY_DEFAULTS.stuckSamples;
  const capMs = device.intervalS * 1000;
  const judged = stored.map((s, i) => {
    const window = stored.slice(Math.max(0, i - opts.window + 1), i + 1);
    const flags: Record<string, { v: number; flagged: boolean }> = {};
    for (const [metric, v] of Object.entries(s.m)) {
      if (typeof v !== 'number') continue;
      const range = PHYSICAL_RANGES[metric];
      let flagged = range !== undefined && (v < range[0] || v > range[1]);
      if ((STUCK_WATCHED as readonly string[]).includes(metric)) {
        const resolution =
          device.alarmSettings?.resolution?.[metric] ??
          METRIC_RESOLUTION[metric as keyof typeof METRIC_RESOLUTION];
        const rule = { samples: stuckN, resolution, reference: QUALITY_DEFAULTS.reference };
        flagged ||= stuckVerdict(window, metric, rule) === 'stuck';
      }
      flags[metric] = { v, flagged };
    }
    return { s, flags };
  });
  return (period: 'hour' | 'day', start: number) => {
    const end = start + (period === 'hour' ? HOUR : DAY);
    const out: Record<string, MetricAggregate> = {};
    const inPeriod = judged.filter(({ s }) => s.ts >= start && s.ts < end);
    for (const { s, flags } of inPeriod) {
      for (const [metric, { v, flagged }] of Object.entries(flags)) {
        out[metric] ??= emptyAggregate();
        const a = out[metric];
        a.count++;
        a.firstTs = Math.min(a.firstTs ?? s.ts, s.ts);
        a.lastTs = Math.max(a.lastTs ?? s.ts, s.ts);
        const hourEnd = Math.floor(s.ts / HOUR) * HOUR + HOUR;
        const next = inPeriod.find(
          (o) => (o.s.ts > s.ts || (o.s.ts === s.ts && o.s.seq > s.seq)) && o.flags[metric] !== undefined,
        );
        const until = next && next.s.ts < hourEnd ? next.s.ts : hourEnd;
        const w = Math.min(until - s.ts, capMs);
        if (flagged) {
          a.flagged++;
          a.flaggedMs += w;
          continue;
        }
        a.min = Math.min(a.min ?? v, v);
        a.max = Math.max(a.max ?? v, v);
        a.sum = (a.sum ?? 0) + v;
        a.validMs += w;
        const l = opts.levels[metric];
        const over =
          l !== undefined &&
          ((l.limitMin !== undefined && v < l.limitMin) || (l.limitMax !== undefined && v > l.limitMax));
        const warn =
          over ||
          (l !== undefined &&
            ((l.warnMin !== undefined && v < l.warnMin) || (l.warnMax !== undefined && v > l.warnMax)));
        if (over) {
          a.overLimit++;
          a.overLimitMs += w;
        }
        if (warn) {
          a.overWarning++;
          a.overWarningMs += w;
        }
      }
    }
    return { samples: inPeriod.length, metrics: out };
  };
}

/** Exact fields equal; the float sum within rounding; levels left to the caller. */
export function aggregateMismatches(
  actual: Record<string, MetricAggregate>,
  expected: Record<string, MetricAggregate>,
): string[] {
  const problems: string[] = [];
  const names = (o: object) => Object.keys(o).sort().join(',');
  if (names(actual) !== names(expected)) problems.push(`metrics ${names(actual)} ≠ ${names(expected)}`);
  for (const [metric, e] of Object.entries(expected)) {
    const a = actual[metric];
    if (!a) continue;
    const { sum, levels: _levels, ...exact } = a;
    const { sum: eSum, levels: _eLevels, ...eExact } = e;
    // Compared in one key order: the stored form is decoded in its own order.
    const canonical = (o: object) => JSON.stringify(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
    if (canonical(exact) !== canonical(eExact))
      problems.push(`${metric}: ${canonical(exact)} ≠ ${canonical(eExact)}`);
    if (
      (sum === undefined) !== (eSum === undefined) ||
      Math.abs((sum ?? 0) - (eSum ?? 0)) > 1e-9 * Math.max(1, Math.abs(eSum ?? 0))
    )
      problems.push(`${metric}: sum ${sum} ≠ ${eSum}`);
  }
  return problems;
}
