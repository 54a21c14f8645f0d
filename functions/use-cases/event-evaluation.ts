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
  options: {
    settings?: DetectorSettings;
    /** New samples per run, or per run number (ingest batches vary); default 1. */
    batchSize?: number | ((batch: number) => number);
    onProgress?: (done: number) => void;
  } = {},
): {
  verdicts: RowVerdict[];
  findings: DetectorVerdict[];
  stateWrites: number;
  maxStateBytes: number;
  state: DetectorState | undefined;
} {
  const settings = options.settings ?? DETECTOR_DEFAULTS;
  const sizeOf = options.batchSize ?? 1;
  const need = detectorHistoryNeed(settings);
  const inputs: DetectorInput[] = rows.map((r) => ({ ts: r.ts, values: r.values }));
  let stored: DetectorState | undefined;
  let stateWrites = 0;
  let maxStateBytes = 0;
  const findings: DetectorVerdict[] = [];
  for (let i = 0, b = 0, batchSize = 1; i < inputs.length; i += batchSize, b++) {
    batchSize = Math.max(1, Math.round(typeof sizeOf === 'number' ? sizeOf : sizeOf(b)));
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
  return { verdicts, findings, stateWrites, maxStateBytes, state: stored };
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

/** An alarm episode of one condition: whom it tells, how severe, from when to when. */
export interface AlarmSpan {
  key: string;
  audience: Audience;
  severity: Severity;
  raisedAt: number;
  clearedAt: number | undefined;
}

/**
 * Alarm spans of the service's existing conditions (limits, early warnings, quality rules; not offline or battery)
 * over the rows, judged by the alarm engine's core (`evaluateConditions`) with its own windows and open-alarm keys.
 */
export function conditionSpans(rows: readonly EvalRow[], device: Device): AlarmSpan[] {
  const conditions = conditionsFor(device).filter(
    (c: Condition) => c.kind !== 'offline' && c.kind !== 'battery',
  );
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

/** Settings of the level-shift baseline the issue quotes (for comparison in `eval:events`, not used by ingest). */
export interface LevelShiftSettings {
  /** Trailing mean window, rows (default 60). */
  windowRows: number;
  /** Rows the alarm is held after the score last exceeded half the threshold (default 5). */
  holdRows: number;
  /** False-alarm episodes a week allowed on the tuning part (default 0.3, the operating point). */
  budgetPerWeek: number;
}

const LEVEL_SHIFT_DEFAULTS: LevelShiftSettings = { windowRows: 60, holdRows: 5, budgetPerWeek: 0.3 };

/** Solves A x = b for a small symmetric positive definite A (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[p] as number[])[c] as number)) p = r;
    [m[c], m[p]] = [m[p] as number[], m[c] as number[]];
    const pivot = (m[c] as number[])[c] as number;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = ((m[r] as number[])[c] as number) / pivot;
      for (let k = c; k <= n; k++)
        (m[r] as number[])[k] = ((m[r] as number[])[k] as number) - f * ((m[c] as number[])[k] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

/**
 * The multivariate level-shift baseline of issue 14: each channel's deviation from its trailing mean, combined
 * through the covariance of the deviations on the tuning part's normal (unlabelled-as-event) rows; on at the
 * threshold, held while the score stays over half of it and `holdRows` after. The threshold is the lowest that keeps
 * the tuning part's false-alarm episodes within the budget — chosen with the labels, which favours the baseline.
 */
export function levelShiftBaseline(
  rows: readonly EvalRow[],
  labels: readonly boolean[],
  tuneUntilRow: number,
  settings: LevelShiftSettings = LEVEL_SHIFT_DEFAULTS,
): { flags: boolean[]; threshold: number } {
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const n = metrics.length;
  const dev: number[][] = [];
  const sums = new Array(n).fill(0);
  const counts = new Array(n).fill(0);
  const queue: (number | undefined)[][] = [];
  for (const row of rows) {
    const x = metrics.map((m) => row.values[m]);
    dev.push(x.map((v, i) => (v === undefined || counts[i] === 0 ? 0 : v - sums[i] / counts[i])));
    queue.push(x);
    x.forEach((v, i) => {
      if (v !== undefined) {
        sums[i] += v;
        counts[i]++;
      }
    });
    if (queue.length > settings.windowRows) {
      (queue.shift() as (number | undefined)[]).forEach((v, i) => {
        if (v !== undefined) {
          sums[i] -= v;
          counts[i]--;
        }
      });
    }
  }
  const cov = metrics.map(() => new Array(n).fill(0));
  let used = 0;
  for (let t = settings.windowRows; t < tuneUntilRow; t++) {
    if (labels[t]) continue;
    const d = dev[t] as number[];
    for (let i = 0; i < n; i++) {
      const row = cov[i] as number[];
      for (let j = 0; j < n; j++) row[j] = (row[j] as number) + (d[i] as number) * (d[j] as number);
    }
    used++;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      (cov[i] as number[])[j] = ((cov[i] as number[])[j] as number) / Math.max(1, used);
    (cov[i] as number[])[i] = ((cov[i] as number[])[i] as number) + 1e-9;
  }
  const score = dev.map((d) => {
    const y = solve(cov, d);
    return d.reduce((s, v, i) => s + v * (y[i] as number), 0);
  });
  const times = rows.map((r) => r.ts);
  const flagsAt = (threshold: number) => {
    const flags: boolean[] = [];
    let on = false;
    let lastHigh = Number.NEGATIVE_INFINITY;
    score.forEach((s, t) => {
      if (s >= threshold / 2) lastHigh = t;
      if (!on && s >= threshold) on = true;
      else if (on && t - lastHigh > settings.holdRows) on = false;
      flags.push(on);
    });
    return flags;
  };
  const tuning = score
    .slice(0, tuneUntilRow)
    .filter((_, t) => !labels[t])
    .sort((a, b) => a - b);
  let threshold = tuning[tuning.length - 1] ?? Number.POSITIVE_INFINITY;
  for (const q of [0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998, 0.9999, 0.99995, 1]) {
    const candidate = tuning[Math.min(tuning.length - 1, Math.floor(q * tuning.length))] as number;
    const s = scoreEvents(times, labels, flagsAt(candidate), 0, tuneUntilRow);
    if (s.falseAlarmsPerWeek <= settings.budgetPerWeek) {
      threshold = candidate;
      break;
    }
  }
  return { flags: flagsAt(threshold), threshold };
}

/** Settings of the CANARY-like baseline the issue quotes (for comparison in `eval:events`, not used by ingest). */
export interface CanarySettings {
  /** Rows the per-channel linear prediction is fitted over (default 30): a least-squares line, extrapolated one row. */
  windowRows: number;
  /** A channel's residual at or beyond this many σ makes the row an outlier (default 4). */
  outlierSigma: number;
  /** Rows the binomial event discriminator counts outliers over (default 120). */
  bedRows: number;
  /** False-alarm episodes a week allowed on the tuning part (default 0.3, as for the level-shift baseline). */
  budgetPerWeek: number;
}

/** Chosen on the tuning part of the real data from outlierSigma 3–6 × bedRows 20–120 × windowRows 15–60 (docs/event-detection.md). */
const CANARY_DEFAULTS: CanarySettings = { windowRows: 30, outlierSigma: 4, bedRows: 120, budgetPerWeek: 0.3 };

/** P(X ≤ k) for X ~ Binomial(n, p), summed in log space so small p and large n stay exact enough. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  let logTerm = n * Math.log1p(-p);
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i) + Math.log(p) - Math.log1p(-p);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/**
 * A CANARY-like baseline (the US EPA's CANARY, its linear-prediction and binomial-event-discriminator configuration):
 * each channel is predicted one row ahead by the least-squares line through its last `windowRows` values; the
 * residual, in σ of that channel's residuals on the tuning part (robust: median absolute deviation), makes the row an
 * outlier when any channel is at or beyond `outlierSigma`; the event probability of a row is the binomial CDF of the
 * outliers among the last `bedRows` at the tuning part's outlier rate. A row is in an event when that probability
 * reaches a level chosen, like the level-shift baseline's threshold, as the lowest that keeps the tuning part's false
 * alarms within the budget — with the labels, which favours the baseline. No hold and no hysteresis: CANARY has none.
 */
export function canaryBaseline(
  rows: readonly EvalRow[],
  labels: readonly boolean[],
  tuneUntilRow: number,
  settings: CanarySettings = CANARY_DEFAULTS,
): { flags: boolean[]; outliers: number; probability: number } {
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const w = settings.windowRows;
  // Least-squares line through x at positions 0..w-1, evaluated at w: Σ c_i x_i with fixed weights c_i.
  const meanPos = (w - 1) / 2;
  let sxx = 0;
  for (let i = 0; i < w; i++) sxx += (i - meanPos) ** 2;
  const weights = Array.from({ length: w }, (_, i) => 1 / w + ((w - meanPos) * (i - meanPos)) / sxx);
  const residuals = metrics.map((m) => {
    const out: (number | undefined)[] = [];
    for (let t = 0; t < rows.length; t++) {
      const now = (rows[t] as EvalRow).values[m];
      if (t < w || now === undefined) {
        out.push(undefined);
        continue;
      }
      let prediction = 0;
      let complete = true;
      for (let i = 0; i < w && complete; i++) {
        const v = (rows[t - w + i] as EvalRow).values[m];
        if (v === undefined) complete = false;
        else prediction += (weights[i] as number) * v;
      }
      out.push(complete ? now - prediction : undefined);
    }
    return out;
  });
  const sigma = residuals.map((r, c) => {
    const tuning = r.slice(0, tuneUntilRow).filter((v): v is number => v !== undefined);
    const med = tuning.length ? median([...tuning]) : 0;
    const mad = tuning.length ? 1.4826 * median(tuning.map((v) => Math.abs(v - med))) : 0;
    const floor = DETECTOR_DEFAULTS.resolution[metrics[c] as string] ?? 0;
    return Math.max(mad, floor, 1e-9);
  });
  const outlier = rows.map((_, t) =>
    residuals.some((r, c) => {
      const v = r[t];
      return v !== undefined && Math.abs(v) / (sigma[c] as number) >= settings.outlierSigma;
    }),
  );
  const rate = Math.min(
    0.5,
    Math.max(1e-6, outlier.slice(0, tuneUntilRow).filter(Boolean).length / Math.max(1, tuneUntilRow)),
  );
  let inWindow = 0;
  const counts = outlier.map((o, t) => {
    if (o) inWindow++;
    if (t >= settings.bedRows && outlier[t - settings.bedRows]) inWindow--;
    return inWindow;
  });
  const times = rows.map((r) => r.ts);
  // The event probability rises with the outlier count, so a probability level is a count level; counts stay exact
  // where the probabilities round to 1.
  const flagsAt = (k: number) => counts.map((n) => n >= k);
  let level = settings.bedRows + 1;
  for (let k = 1; k <= settings.bedRows; k++) {
    if (
      binomialCdf(k - 1, settings.bedRows, rate) > 0.5 &&
      scoreEvents(times, labels, flagsAt(k), 0, tuneUntilRow).falseAlarmsPerWeek <= settings.budgetPerWeek
    ) {
      level = k;
      break;
    }
  }
  return {
    flags: flagsAt(level),
    outliers: level,
    probability: binomialCdf(level - 1, settings.bedRows, rate),
  };
}
