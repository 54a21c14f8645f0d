/**
 * Multivariate water-quality event detector (PROVISIONAL implementation of the interface in the issue-14 notes; the
 * real one replaces this file). A level-shift baseline: per channel, the deviation of a short trailing mean from a
 * baseline mean learned over a commissioning period, in baseline σ (never below the sensor's resolution). Two or
 * more channels beyond `k` σ for `holdSamples` samples are an event; exactly one channel beyond it for
 * `faultSamples` samples is a sensor fault on that channel. The baseline is updated at most once per
 * `updateEveryMs` of data, and never while an event or fault is open or any channel is beyond `k`. Pure: no I/O.
 */

/** One sample as the detector sees it: numeric values of the channels it watches (absent: not reported / invalid). */
export interface DetectorInput {
  ts: number;
  values: Readonly<Record<string, number | undefined>>;
}

/** A multivariate water-quality event: several correlated channels moved together. */
export interface EventFinding {
  /** Sample time the episode started (first sample over the threshold), epoch ms. */
  since: number;
  /** Channels that moved, largest first: shift from the baseline in the metric's unit and in baseline σ. */
  channels: { metric: string; shift: number; sigma: number }[];
  /** The combined score and the threshold it crossed. */
  score: number;
  threshold: number;
}

/** A sensor fault on one channel: a step or drift the correlated channels do not share. */
export interface FaultFinding {
  metric: string;
  since: number;
  shift: number;
  sigma: number;
}

export interface DetectorVerdict {
  ts: number;
  /** Present while an event episode is active at this sample (hysteresis and hold included). */
  event?: EventFinding;
  faults: FaultFinding[];
  /** True while the detector is still commissioning (learning its baseline): no verdict possible yet. */
  learning: boolean;
}

interface ChannelBaseline {
  /** Baseline mean (the latest normal block's mean). */
  m: number;
  /** Within-block variance of single samples (running mean of blocks). */
  w: number;
  /** Variance of the change of the block mean from one update to the next: slow cycles the baseline lags behind. */
  d: number;
}

/** Opaque to callers; JSON-serialisable; has a `v` version field so a stored old state can be migrated or reset. */
export interface DetectorState {
  v: number;
  /** First sample seen, epoch ms: commissioning runs from here. */
  first: number;
  /** Data time of the last baseline update. */
  updated: number;
  /** Baseline blocks learned so far. */
  blocks: number;
  ch: Record<string, ChannelBaseline>;
  /** The open event, if any. */
  event?: { since: number; channels: EventFinding['channels'] };
  /** Open faults: metric → since. */
  faults: Record<string, number>;
  /** Data time of the last status change: samples at or before it are replays and change nothing. */
  changedAt: number;
}

export interface DetectorSettings {
  /** Normal data learned before any verdict, ms. Default 24 h: one daily cycle of demand and dosing. */
  commissioningMs: number;
  /** Baseline blocks needed besides the commissioning time. Default 6: a variance from fewer means little. */
  minBlocks: number;
  /** Baseline update at most once per this much data, ms. Default 1 h: a stored write per device-hour at most. */
  updateEveryMs: number;
  /** Samples each baseline update reads (the newest ones). Default 12: ingest's history read stays small. */
  blockSamples: number;
  /** Samples in the short trailing mean. Default 5: averages sensor noise, still reacts within minutes. */
  shortWindow: number;
  /** σ beyond which a channel counts as moved. Default 5. */
  k: number;
  /** σ below which a moved channel counts as back (hysteresis). Default 3. */
  kOff: number;
  /** Consecutive samples with ≥ 2 channels moved to open an event, or with < 2 back to close it. Default 3. */
  holdSamples: number;
  /** Consecutive samples with exactly one channel moved to call it a sensor fault. Default 8. */
  faultSamples: number;
  /** Reporting resolution per metric: the floor of σ, so a channel quantised to one step never looks noiseless. */
  resolution: Readonly<Record<string, number>>;
}

/** Water metrics the detector watches. */
export const DETECTOR_METRICS: readonly string[] = [
  'ph',
  'free_chlorine_mg_l',
  'total_chlorine_mg_l',
  'chlorine_dioxide_mg_l',
  'orp_mv',
  'conductivity_us_cm',
  'turbidity_ntu',
  'temperature_c',
];

export const DETECTOR_DEFAULTS: DetectorSettings = {
  commissioningMs: 24 * 3_600_000,
  minBlocks: 6,
  updateEveryMs: 3_600_000,
  blockSamples: 12,
  shortWindow: 5,
  k: 5,
  kOff: 3,
  holdSamples: 3,
  faultSamples: 8,
  resolution: {
    ph: 0.01,
    free_chlorine_mg_l: 0.01,
    total_chlorine_mg_l: 0.01,
    chlorine_dioxide_mg_l: 0.01,
    orp_mv: 1,
    conductivity_us_cm: 1,
    turbidity_ntu: 0.01,
    temperature_c: 0.1,
  },
};

const STATE_VERSION = 1;

/** How many stored samples before the new ones the detector needs in `history` (newest last). */
export function detectorHistoryNeed(settings: DetectorSettings = DETECTOR_DEFAULTS): number {
  return Math.max(settings.blockSamples, settings.shortWindow + settings.faultSamples) - 1;
}

interface Moved {
  metric: string;
  shift: number;
  sigma: number;
}

function values(series: readonly DetectorInput[], end: number, n: number, metric: string): number[] {
  const out: number[] = [];
  for (let i = end; i >= 0 && out.length < n; i--) {
    const v = series[i]?.values[metric];
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Each channel's deviation at sample `i`, in its unit and in σ; undefined when too few values. */
function deviations(
  state: DetectorState,
  series: readonly DetectorInput[],
  i: number,
  s: DetectorSettings,
): Moved[] {
  const out: Moved[] = [];
  for (const [metric, b] of Object.entries(state.ch)) {
    const xs = values(series, i, s.shortWindow, metric);
    if (xs.length < s.shortWindow) continue;
    const shift = mean(xs) - b.m;
    const sd = Math.max(Math.sqrt(b.w / s.shortWindow + b.d), s.resolution[metric] ?? 0, 1e-9);
    out.push({ metric, shift, sigma: shift / sd });
  }
  return out.sort((a, b) => Math.abs(b.sigma) - Math.abs(a.sigma));
}

const beyond = (moved: readonly Moved[], k: number) => moved.filter((m) => Math.abs(m.sigma) >= k);

/** Whether `test` held at each of the `n` samples ending at `i` (all of them available). */
function heldFor(i: number, n: number, test: (j: number) => boolean): boolean {
  if (i - n + 1 < 0) return false;
  for (let j = i; j > i - n; j--) if (!test(j)) return false;
  return true;
}

/** Learns one baseline block from the newest samples up to `i`; false when too few values to learn from. */
function learnBlock(
  state: DetectorState,
  series: readonly DetectorInput[],
  i: number,
  s: DetectorSettings,
): boolean {
  const ts = (series[i] as DetectorInput).ts;
  let learned = false;
  // A faulty channel keeps its old baseline: learning it would teach the detector the fault.
  const metrics = [...new Set([...Object.keys(state.ch), ...DETECTOR_METRICS])].filter(
    (m) => state.faults[m] === undefined,
  );
  const rate = 1 / Math.min(state.blocks + 1, 24);
  for (const metric of metrics) {
    const xs = values(series, i, s.blockSamples, metric);
    if (xs.length < Math.max(3, s.shortWindow)) continue;
    const m = mean(xs);
    const w = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
    const old = state.ch[metric];
    state.ch[metric] = old
      ? { m, w: old.w + rate * (w - old.w), d: old.d + rate * ((m - old.m) ** 2 - old.d) }
      : { m, w, d: 0 };
    learned = true;
  }
  if (!learned) return false;
  state.blocks += 1;
  state.updated = ts;
  return true;
}

function learning(state: DetectorState, ts: number, s: DetectorSettings): boolean {
  return state.blocks < s.minBlocks || ts - state.first < s.commissioningMs;
}

function verdictOf(
  state: DetectorState,
  ts: number,
  moved: readonly Moved[],
  s: DetectorSettings,
): DetectorVerdict {
  const isLearning = learning(state, ts, s);
  const verdict: DetectorVerdict = { ts, faults: [], learning: isLearning };
  if (state.event) {
    const score = Math.sqrt(moved.reduce((a, m) => a + m.sigma ** 2, 0));
    verdict.event = { since: state.event.since, channels: state.event.channels, score, threshold: s.k };
  }
  for (const [metric, since] of Object.entries(state.faults)) {
    const m = moved.find((x) => x.metric === metric);
    verdict.faults.push({ metric, since, shift: m?.shift ?? 0, sigma: m?.sigma ?? 0 });
  }
  return verdict;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * Runs the detector over a device's new samples (time-ordered, after every stored sample in `history`).
 * `state` undefined: a new device (commissioning starts). Deterministic.
 */
export function runDetector(
  state: DetectorState | undefined,
  history: readonly DetectorInput[],
  newSamples: readonly DetectorInput[],
  settings: DetectorSettings = DETECTOR_DEFAULTS,
): { state: DetectorState; changed: boolean; verdicts: DetectorVerdict[] } {
  const s = settings;
  const firstNew = newSamples[0];
  let changed = false;
  let st: DetectorState;
  if (state && state.v === STATE_VERSION) st = structuredClone(state);
  else {
    st = {
      v: STATE_VERSION,
      first: firstNew?.ts ?? 0,
      updated: 0,
      blocks: 0,
      ch: {},
      faults: {},
      changedAt: 0,
    };
    changed = firstNew !== undefined;
  }
  const series = [...history, ...newSamples];
  const verdicts: DetectorVerdict[] = [];
  const cache = new Map<number, Moved[]>();
  const movedAt = (j: number) => {
    let m = cache.get(j);
    if (!m) {
      m = deviations(st, series, j, s);
      cache.set(j, m);
    }
    return m;
  };
  for (let i = history.length; i < series.length; i++) {
    const ts = (series[i] as DetectorInput).ts;
    // A replayed sample (a redelivered batch) must not move the state backwards.
    if (ts <= st.changedAt || ts < st.updated) {
      verdicts.push(verdictOf(st, ts, movedAt(i), s));
      continue;
    }
    // A channel already known faulty is no evidence of an event, nor of another channel's fault.
    const healthy = (j: number, k: number) =>
      beyond(movedAt(j), k).filter((m) => st.faults[m.metric] === undefined);
    if (!learning(st, ts, s)) {
      if (st.event) {
        if (heldFor(i, s.holdSamples, (j) => healthy(j, s.kOff).length < 2)) {
          delete st.event;
          st.changedAt = ts;
          changed = true;
        }
      } else if (heldFor(i, s.holdSamples, (j) => healthy(j, s.k).length >= 2)) {
        const since = (series[i - s.holdSamples + 1] as DetectorInput).ts;
        st.event = {
          since,
          channels: healthy(i, s.k).map((m) => ({
            metric: m.metric,
            shift: round(m.shift, 4),
            sigma: round(m.sigma, 1),
          })),
        };
        st.changedAt = ts;
        changed = true;
      }
      for (const metric of Object.keys(st.faults)) {
        if (heldFor(i, s.holdSamples, (j) => !beyond(movedAt(j), s.kOff).some((m) => m.metric === metric))) {
          delete st.faults[metric];
          st.changedAt = ts;
          changed = true;
        }
      }
      if (!st.event) {
        const [only] = healthy(i, s.k);
        const alone = (j: number) => {
          const b = healthy(j, s.k);
          return b.length === 1 && b[0]?.metric === only?.metric;
        };
        if (only && st.faults[only.metric] === undefined && heldFor(i, s.faultSamples, alone)) {
          st.faults[only.metric] = (series[i - s.faultSamples + 1] as DetectorInput).ts;
          st.changedAt = ts;
          changed = true;
        }
      }
    }
    const quiet = !st.event;
    // The block must not reach back into an episode that just ended, nor hold a change that is starting; the first
    // block after an episode is learned whatever it shows, so a baseline left stale by the episode catches up.
    const blockStart = series[Math.max(0, i - s.blockSamples + 1)] as DetectorInput;
    const calm =
      blockStart.ts > st.changedAt &&
      (learning(st, ts, s) || st.updated < st.changedAt || healthy(i, s.k).length === 0);
    if (quiet && calm && (st.blocks === 0 || ts - st.updated >= s.updateEveryMs)) {
      if (learnBlock(st, series, i, s)) {
        cache.clear();
        changed = true;
      }
    }
    verdicts.push(verdictOf(st, ts, movedAt(i), s));
  }
  return { state: st, changed, verdicts };
}
