import {
  DETECTOR_METRICS,
  type DetectorInput,
  type DetectorVerdict,
  type EventFinding,
  type FaultFinding,
} from '../event-detector';
import { ownValue } from '../metrics';
import { outOfRange } from '../quality';
import type { Sample } from '../telemetry';
import type { Condition, DetectorCondition, Status } from './types';

/** Key of the multivariate water-quality event condition (one open event alarm per device). */
const EVENT_CONDITION_KEY = 'event';

/** Key of the sensor-fault condition the detector raises on one channel. */
const driftKey = (metric: string) => `drift:${metric}`;

/**
 * What an event or drift alarm says about the change: which channels moved, by how much from the learned baseline
 * (in their unit and in baseline σ), and since when. Kept small: at most the detector's channels.
 */
export interface Finding {
  since: number;
  channels: EventFinding['channels'];
}

/** The detector's conditions on a water device: one event (operators) and one drift fault per watched channel. */
export function detectorConditions(): DetectorCondition[] {
  return [
    { key: EVENT_CONDITION_KEY, kind: 'event', severity: 'warning', audience: 'operators' },
    ...DETECTOR_METRICS.map(
      (metric): DetectorCondition => ({
        key: driftKey(metric),
        kind: 'drift',
        metric,
        severity: 'sensor_fault',
        audience: 'engineers',
      }),
    ),
  ];
}

/** A sample as the detector reads it: its watched channels that hold a number the instrument can report. */
export function detectorInputOf(sample: Pick<Sample, 'ts' | 'm'>): DetectorInput {
  const values: Record<string, number> = {};
  for (const metric of DETECTOR_METRICS) {
    const v = ownValue(sample.m, metric);
    if (typeof v === 'number' && Number.isFinite(v) && !outOfRange(metric, v)) values[metric] = v;
  }
  return { ts: sample.ts, values };
}

/** Channels the detector holds faulty at a sample: like a stuck channel, they are not judged against their limits. */
export function suspectMetrics(verdict: DetectorVerdict | undefined): ReadonlySet<string> {
  return new Set(verdict?.faults.map((f) => f.metric) ?? []);
}

const rounded = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * The detector's verdict at a sample as statuses of its conditions, with what an alarm raised now would say. No
 * verdict (detector off, a sample the sweep evaluates again) or a detector still learning holds every state.
 */
export function detectorStatuses(
  conditions: readonly Condition[],
  verdict: DetectorVerdict | undefined,
): Map<string, { status: Status; finding?: Finding }> {
  const out = new Map<string, { status: Status; finding?: Finding }>();
  for (const c of conditions) {
    if (c.kind !== 'event' && c.kind !== 'drift') continue;
    if (!verdict || verdict.learning) {
      out.set(c.key, { status: 'hold' });
    } else if (c.kind === 'event') {
      const e = verdict.event;
      out.set(
        c.key,
        e
          ? {
              status: 'breach',
              finding: {
                since: e.since,
                channels: e.channels.map((ch) => ({
                  metric: ch.metric,
                  shift: rounded(ch.shift, 4),
                  sigma: rounded(ch.sigma, 1),
                })),
              },
            }
          : { status: 'normal' },
      );
    } else {
      const f: FaultFinding | undefined = verdict.faults.find((x) => x.metric === c.metric);
      out.set(
        c.key,
        f
          ? {
              status: 'breach',
              finding: {
                since: f.since,
                channels: [{ metric: f.metric, shift: rounded(f.shift, 4), sigma: rounded(f.sigma, 1) }],
              },
            }
          : { status: 'normal' },
      );
    }
  }
  return out;
}
