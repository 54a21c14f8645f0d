import type { Audience, Severity } from '../core/alarm-types';
import { conditionsFor } from '../core/conditions/build';
import { evaluateConditions, historyFor } from '../core/conditions/evaluate';
import type { Condition, EvalSample } from '../core/conditions/types';
import {
  DETECTOR_DEFAULTS,
  type DetectorInput,
  type DetectorSettings,
  type DetectorState,
  type DetectorVerdict,
  detectorHistoryNeed,
  runDetector,
} from '../core/event-detector';
import type { Device } from '../core/registry';
import { median } from '../shared/stats';
import { DAY_MS, MINUTE_MS } from '../shared/time';
import { ALARM_SETTING_DEFAULTS, type AlarmSettings } from './alarm-engine';

const WEEK_MS = 7 * DAY_MS;

/** One row of a device's series: its time, its metric values and the truth label when there is one. */
export interface EvalRow {
  ts: number;
  values: Record<string, number | undefined>;
  label?: boolean;
}

/** Per-row outcome of a replay. */
export interface RowVerdict {
  event: boolean;
  fault: boolean;
  learning: boolean;
}

/**
 * Replays the detector over rows the way ingest feeds it: batches of `batchSize` new samples after the last
 * `detectorHistoryNeed` stored ones, the stored state replaced only when a run says `changed`. Counts the state
 * writes, so the cost rule can be checked on real data.
 */
export function replayDetector(
  rows: readonly EvalRow[],
  options: { settings?: DetectorSettings; batchSize?: number; onProgress?: (done: number) => void } = {},
): { verdicts: RowVerdict[]; findings: DetectorVerdict[]; stateWrites: number; maxStateBytes: number } {
  const settings = options.settings ?? DETECTOR_DEFAULTS;
  const batchSize = Math.max(1, options.batchSize ?? 1);
  const need = detectorHistoryNeed(settings);
  const inputs: DetectorInput[] = rows.map((r) => ({ ts: r.ts, values: r.values }));
  let stored: DetectorState | undefined;
  let stateWrites = 0;
  let maxStateBytes = 0;
  const findings: DetectorVerdict[] = [];
  for (let i = 0; i < inputs.length; i += batchSize) {
    const history = inputs.slice(Math.max(0, i - need), i);
    const batch = inputs.slice(i, i + batchSize);
    const out = runDetector(stored, history, batch, settings);
    if (out.changed) {
      // What ingest would store and read back next time.
      const json = JSON.stringify(out.state);
      maxStateBytes = Math.max(maxStateBytes, json.length);
      stored = JSON.parse(json) as DetectorState;
      stateWrites++;
    }
    findings.push(...out.verdicts);
    if (options.onProgress && Math.floor((i + batchSize) / 10_000) > Math.floor(i / 10_000))
      options.onProgress(Math.min(inputs.length, i + batchSize));
  }
  const verdicts = findings.map((v) => ({
    event: v.event !== undefined,
    fault: v.faults.length > 0,
    learning: v.learning,
  }));
  return { verdicts, findings, stateWrites, maxStateBytes };
}

/** Per-minute and per-episode figures of a 0/1 prediction against the label. */
export interface EventScores {
  rows: number;
  precision: number;
  recall: number;
  f1: number;
  episodes: number;
  episodesDetected: number;
  /** Median minutes from an episode's first labelled row to its first predicted row, over detected episodes. */
  medianDelayMin: number;
  falseAlarmEpisodes: number;
  falseAlarmsPerWeek: number;
  /** Share of rows predicted. */
  timeInAlarm: number;
  weeks: number;
}

/** Runs of consecutive true rows: [first, last] indices. */
function runsOf(flags: readonly boolean[], from: number, to: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = from; i < to; i++) {
    if (flags[i] && start < 0) start = i;
    if (!flags[i] && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, to - 1]);
  return runs;
}

/** Scores `predicted` against `labels` over rows [from, to). */
export function scoreEvents(
  times: readonly number[],
  labels: readonly boolean[],
  predicted: readonly boolean[],
  from = 0,
  to = times.length,
): EventScores {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let on = 0;
  for (let i = from; i < to; i++) {
    if (predicted[i]) on++;
    if (predicted[i] && labels[i]) tp++;
    else if (predicted[i]) fp++;
    else if (labels[i]) fn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const episodes = runsOf(labels, from, to);
  const delays: number[] = [];
  for (const [a, b] of episodes) {
    for (let i = a; i <= b; i++) {
      if (predicted[i]) {
        delays.push(((times[i] as number) - (times[a] as number)) / MINUTE_MS);
        break;
      }
    }
  }
  const falseRuns = runsOf(predicted, from, to).filter(([a, b]) => {
    for (let i = a; i <= b; i++) if (labels[i]) return false;
    return true;
  });
  const span = to > from ? (times[to - 1] as number) - (times[from] as number) + MINUTE_MS : 0;
  const weeks = span / WEEK_MS;
  return {
    rows: to - from,
    precision,
    recall,
    f1,
    episodes: episodes.length,
    episodesDetected: delays.length,
    medianDelayMin: delays.length ? median(delays) : Number.NaN,
    falseAlarmEpisodes: falseRuns.length,
    falseAlarmsPerWeek: weeks > 0 ? falseRuns.length / weeks : 0,
    timeInAlarm: to > from ? on / (to - from) : 0,
    weeks,
  };
}

/** SMS an audience would have received, by notification kind. */
export interface SmsCount {
  raised: number;
  cleared: number;
  reminder: number;
  escalation: number;
  digest: number;
}

const emptyCount = (): SmsCount => ({ raised: 0, cleared: 0, reminder: 0, escalation: 0, digest: 0 });

/** An alarm episode for the SMS count: which condition, whom it tells, how severe, from when to when. */
export interface AlarmSpan {
  key: string;
  audience: Audience;
  severity: Severity;
  raisedAt: number;
  clearedAt: number | undefined;
}

/**
 * SMS per audience for alarm spans nobody acknowledges, by the alarm engine's and sweep's rules with `settings`:
 * one raise each, folded into one digest per window beyond `floodMaxAlarms` raises per audience in `floodWindowMs`;
 * a reminder every `reminderMs` while a critical or warning alarm is open; one escalation to supervisors of a
 * critical alarm open `escalateAfterMs`; one cleared SMS. Counted from the rules, not replayed through the engine's
 * stores (see docs/event-detection.md).
 */
export function countSms(
  spans: readonly AlarmSpan[],
  end: number,
  settings: AlarmSettings = ALARM_SETTING_DEFAULTS,
): Map<Audience, SmsCount> {
  const out = new Map<Audience, SmsCount>();
  const countFor = (a: Audience) => {
    let c = out.get(a);
    if (!c) {
      c = emptyCount();
      out.set(a, c);
    }
    return c;
  };
  const windows = new Map<string, { start: number; raised: number; digested: boolean }>();
  for (const span of [...spans].sort((a, b) => a.raisedAt - b.raisedAt)) {
    const c = countFor(span.audience);
    const windowStart = Math.floor(span.raisedAt / settings.floodWindowMs) * settings.floodWindowMs;
    const key = `${span.audience}|${windowStart}`;
    const w = windows.get(key) ?? { start: windowStart, raised: 0, digested: false };
    windows.set(key, w);
    w.raised++;
    if (w.raised <= settings.floodMaxAlarms) c.raised++;
    else if (!w.digested) {
      c.digest++;
      w.digested = true;
    }
    const closed = span.clearedAt ?? end;
    if (span.clearedAt !== undefined) c.cleared++;
    if (span.severity !== 'critical' && span.severity !== 'warning') continue;
    let escalated = false;
    let lastNotified = span.raisedAt;
    // The sweep runs every minute: one notification per minute at most, escalation before reminders.
    for (let t = span.raisedAt + MINUTE_MS; t < closed; t += MINUTE_MS) {
      if (span.severity === 'critical' && !escalated && t - span.raisedAt >= settings.escalateAfterMs) {
        countFor('supervisors').escalation++;
        escalated = true;
        lastNotified = t;
        continue;
      }
      if (t - lastNotified >= settings.reminderMs) {
        c.reminder++;
        lastNotified = t;
      }
    }
  }
  return out;
}

/** Spans of a 0/1 flag series as alarms of one condition. */
export function spansOf(
  times: readonly number[],
  flags: readonly boolean[],
  key: string,
  audience: Audience,
  severity: Severity,
): AlarmSpan[] {
  return runsOf(flags, 0, flags.length).map(([a, b]) => ({
    key,
    audience,
    severity,
    raisedAt: times[a] as number,
    clearedAt: b + 1 < times.length ? (times[b + 1] as number) : undefined,
  }));
}

/**
 * Alarm spans of the service's existing conditions (limits, early warnings, quality rules; not offline or battery)
 * over the rows, judged by the alarm engine's core (`evaluateConditions`) with its own windows and open-alarm keys.
 */
export function conditionSpans(rows: readonly EvalRow[], device: Device): AlarmSpan[] {
  const conditions = conditionsFor(device).filter((c: Condition) => c.kind !== 'offline' && c.kind !== 'battery');
  const need = Math.max(2, historyFor(conditions));
  const open = new Map<string, AlarmSpan>();
  const spans: AlarmSpan[] = [];
  const window: EvalSample[] = [];
  rows.forEach((row, i) => {
    const m: Record<string, number> = {};
    for (const [k, v] of Object.entries(row.values)) if (v !== undefined) m[k] = v;
    if (Object.keys(m).length === 0) return;
    window.push({ ts: row.ts, seq: i, m, receivedAt: row.ts });
    if (window.length > need) window.shift();
    const status = evaluateConditions(conditions, window, new Set(open.keys()));
    for (const c of conditions) {
      const s = status.get(c.key);
      const current = open.get(c.key);
      if (s === 'breach' && current === undefined) {
        const span: AlarmSpan = {
          key: c.key,
          audience: c.audience,
          severity: c.severity,
          raisedAt: row.ts,
          clearedAt: undefined,
        };
        open.set(c.key, span);
        spans.push(span);
      } else if (s === 'normal' && current !== undefined) {
        current.clearedAt = row.ts;
        open.delete(c.key);
      }
    }
  });
  return spans;
}
