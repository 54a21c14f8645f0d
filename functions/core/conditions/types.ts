import type { Audience, Severity } from '../alarm-types';
import type { Sample } from '../telemetry';

/**
 * A sample as evaluated: with the time it reached the broker, to tell late data, and the id of the queue message
 * that carried it (absent for samples read back from storage), which alarms and SMS it causes carry on.
 */
export type EvalSample = Sample & {
  receivedAt: number;
  correlationId?: string;
  /** Came in a message of several samples (a device sending what it stored while offline); absent when read back. */
  batched?: boolean;
};

interface ConditionBase {
  /** Stable key: one open alarm per device and key. */
  key: string;
  severity: Severity;
  audience: Audience;
  metric?: string;
  /** Further audiences that get the same notifications (raised, cleared) as `audience`, e.g. supervisors of a fire. */
  alsoNotify?: readonly Audience[];
  /**
   * Key of a condition that holds this one back: while that one breaches now, or is alarmed and not yet back inside
   * its deadband, a breach of this one reads as `hold`, so one event sends one SMS (an early warning while its limit
   * is crossed, a bin's collection warning while it overflows). An alarm on the holder that is cleared but not
   * acknowledged holds nothing. The holding condition is never held back itself.
   */
  heldBy?: string;
}

export interface ThresholdCondition extends ConditionBase {
  kind: 'limit' | 'warn' | 'battery';
  metric: string;
  direction: 'min' | 'max';
  level: number;
  /** Clears only once back inside the level by this margin. */
  deadband: number;
  onDelay: { samples: number; seconds?: number };
  /** As alarms store it (core/citation.ts `citationText`). */
  citation: string;
  verify?: boolean;
}

interface RangeCondition extends ConditionBase {
  kind: 'range';
  metric: string;
  range: readonly [number, number];
}

interface StuckCondition extends ConditionBase {
  kind: 'stuck';
  metric: string;
  /** Shortest run of one value that can be stuck (core/quality.ts `stuckVerdict`). */
  samples: number;
  /** Reporting resolution: values equal at it are the same reading. */
  resolution: number;
  /** Samples before the run that show how often the channel repeats. */
  reference: number;
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
  /** As alarms store it (core/citation.ts `citationText`). */
  citation: string;
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
  /** As alarms store it (core/citation.ts `citationText`). */
  citation: string;
}

/** A boolean channel: `true` breaches, `false` clears (a bin's tilt switch). */
interface SwitchCondition extends ConditionBase {
  kind: 'switch';
  metric: string;
}

/**
 * Judged by the event detector (core/event-detector.ts), not from the window: a multivariate water-quality `event`
 * (several correlated channels moved together), or a `drift` on one channel its neighbours do not share.
 */
export type DetectorCondition =
  | (ConditionBase & { kind: 'event'; metric?: undefined })
  | (ConditionBase & { kind: 'drift'; metric: string });

/** Anything watched on a device; build.ts makes them, evaluate.ts judges them. */
export type Condition =
  | ThresholdCondition
  | RangeCondition
  | StuckCondition
  | OfflineCondition
  | FillCondition
  | FireCondition
  | SwitchCondition
  | DetectorCondition;

/** A condition's verdict at a sample: `hold` keeps whatever state it is in. */
export type Status = 'breach' | 'normal' | 'hold';
