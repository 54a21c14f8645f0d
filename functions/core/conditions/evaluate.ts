import { BIN_PHYSICAL_RANGES, fireEvidence, isValid, readFill } from '../bins';
import { ownValue } from '../metrics';
import { numericValue, outOfRange, stuckVerdict } from '../quality';
import type { Sample } from '../telemetry';
import type {
  Condition,
  EvalSample,
  FillCondition,
  FireCondition,
  Status,
  ThresholdCondition,
} from './types';

/** How many samples, ending at the one judged, `evaluateConditions` needs to see for these conditions. */
export function historyFor(conditions: readonly Condition[]): number {
  return Math.max(
    1,
    ...conditions.map((c) =>
      c.kind === 'stuck'
        ? c.samples + c.reference
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
 * An improbable run breaches and joins `stuck`; one that moved since its previous reading is normal again. A run too
 * long to judge within the window (`unknown`) keeps its state, and an alarmed stuck channel stays in `stuck`, so its
 * limit is still not judged while it is frozen.
 */
function evaluateStuck(
  c: Extract<Condition, { kind: 'stuck' }>,
  window: readonly EvalSample[],
  current: EvalSample,
  stuck: Set<string>,
  openKeys: ReadonlySet<string>,
): Status {
  if (numericValue(current, c.metric) === undefined) return 'hold';
  const verdict = stuckVerdict(window, c.metric, c);
  if (verdict === 'stuck' || (verdict === 'unknown' && openKeys.has(c.key))) {
    stuck.add(c.metric);
    return verdict === 'stuck' ? 'breach' : 'hold';
  }
  const previous = window.slice(0, -1).findLast((s) => numericValue(s, c.metric) !== undefined);
  const moved =
    previous !== undefined && numericValue(previous, c.metric) !== numericValue(current, c.metric);
  return moved ? 'normal' : 'hold';
}

/** Conditions judged against a level over the on-delay; they come after the quality checks. */
type LevelCondition = ThresholdCondition | FillCondition;

const isLevel = (c: Condition): c is LevelCondition =>
  c.kind === 'limit' || c.kind === 'warn' || c.kind === 'battery' || c.kind === 'fill';

function judgeLevel(c: LevelCondition, window: readonly EvalSample[], stuck: ReadonlySet<string>): Status {
  return c.kind === 'fill' ? evaluateFill(c, window) : evaluateThreshold(c, window, stuck);
}

function judgeOther(
  c: Exclude<Condition, LevelCondition>,
  window: readonly EvalSample[],
  current: EvalSample,
  stuck: Set<string>,
  openKeys: ReadonlySet<string>,
): Status {
  switch (c.kind) {
    case 'range': {
      const v = numericValue(current, c.metric);
      if (v === undefined) return 'hold';
      return v < c.range[0] || v > c.range[1] ? 'breach' : 'normal';
    }
    case 'stuck':
      return evaluateStuck(c, window, current, stuck, openKeys);
    case 'offline':
      return 'normal';
    case 'switch': {
      const v = ownValue(current.m, c.metric);
      return v === true ? 'breach' : v === false ? 'normal' : 'hold';
    }
    case 'fire':
      return evaluateFire(c, window);
    case 'event':
    case 'drift':
      // Judged from the detector's verdict (conditions/detector.ts), which the window does not hold.
      return 'hold';
  }
}

/**
 * Judges every condition at the newest sample of `window` (time-ordered, newest last). Pure.
 * Quality comes first: an out-of-range or stuck channel is never judged against a limit. A condition with `heldBy`
 * comes last: its breach is held back while the condition it names breaches now, or is alarmed (`openKeys`) and not
 * yet back inside its deadband, so one event sends one SMS and an unacknowledged alarm never silences it for good.
 * `suspect` channels (the event detector's sensor faults) are, like stuck ones, not judged against their limits.
 */
export function evaluateConditions(
  conditions: readonly Condition[],
  window: readonly EvalSample[],
  openKeys: ReadonlySet<string>,
  suspect: ReadonlySet<string> = new Set(),
): Map<string, Status> {
  const result = new Map<string, Status>();
  const current = window[window.length - 1];
  if (!current) return result;
  const stuck = new Set<string>(suspect);
  const judge = (c: Condition) =>
    isLevel(c) ? judgeLevel(c, window, stuck) : judgeOther(c, window, current, stuck, openKeys);
  for (const c of conditions) if (!isLevel(c) && c.heldBy === undefined) result.set(c.key, judge(c));
  for (const c of conditions) if (isLevel(c) && c.heldBy === undefined) result.set(c.key, judge(c));
  for (const c of conditions) {
    if (c.heldBy === undefined) continue;
    const status = judge(c);
    const holder = result.get(c.heldBy);
    // Held while the holder breaches now, or is alarmed and not yet back inside its deadband; an alarm on it that
    // nobody acknowledged must not silence this condition once its own value is back to normal.
    const heldBack =
      status === 'breach' && (holder === 'breach' || (holder === 'hold' && openKeys.has(c.heldBy)));
    result.set(c.key, heldBack ? 'hold' : status);
  }
  return result;
}
