/**
 * Multivariate water-quality event detector with single-channel sensor-fault findings (issue 14; docs/event-detection.md).
 *
 * Per sample and channel, the deviation `d` = median of the last `smoothMs` of readings − median of the `referenceMs`
 * before them. Divided by the channel's learned robust scale (never below its reporting resolution) it becomes `z`;
 * the event score is the Mahalanobis form zᵀR⁻¹z through the correlation R learned on the device's normal data. An
 * event needs the score over the threshold and a moved channel that does not look like its sensor: one that moved
 * while a correlated partner stayed put, or alone (every other channel quiet), is suspect, and suspect for
 * `faultConfirmMs` it is a sensor fault. The threshold follows from the false-alarm budget: a Pareto tail fitted to
 * the hourly maxima of the score (whether or not a channel moved) on the device's own normal data, solved for the
 * budget's hourly rate.
 *
 * Cost rule: the stored state holds only the learned baseline (updated once per hour of data, from the hour just
 * ended, skipped while an event or fault is open) and the open event/fault status. Everything that changes per sample
 * (windows, hold, confirmation) is recomputed from `history` + `newSamples`, so a batch split differently reaches the
 * same verdicts and `changed` is true only at an hour boundary or a status change. Pure: no I/O, no clock.
 */
import { numericMedian, sortedMedian } from '../shared/stats';
import { HOUR_MS, MINUTE_MS } from '../shared/time';

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
  /** The combined score (e.g. Mahalanobis distance) and the threshold it crossed. */
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

/** An open fault: when it began and each channel's reference level (the median before it) it is measured from. */
interface OpenEpisode {
  since: number;
  /** Reference level per channel (index of DETECTOR_METRICS); null where the channel had none. */
  ref: (number | null)[];
}

/**
 * Opaque to callers; JSON-serialisable; `v` lets a stored old state be reset. Arrays are indexed like
 * DETECTOR_METRICS. Numbers are rounded to 4 significant digits when learned, so the state in memory is exactly the
 * state a JSON round trip gives back (batch splits stay deterministic) and it stays well under 4 KB.
 */
export interface DetectorState {
  v: number;
  /** Hour index (ts / 1 h) of the newest sample seen: the next hour boundary triggers a baseline update. */
  hour: number;
  /** Hours of data each channel's scale has been learned from. */
  hours: number[];
  /** Robust scale of each channel's deviation `d` (metric unit); 0 while unknown. */
  scale: number[];
  /** Correlation of the channels' `z`, upper triangle row by row (i < j). */
  corr: number[];
  /** Hourly maxima of the event score on normal data, oldest first, at most `maximaKept`. */
  maxima: number[];
  /** End of the last event or fault (ms): the hour containing it is not learned from. */
  quietAfter: number;
  /** The open event: when it began. */
  event: { since: number } | null;
  /** Open faults by metric. */
  faults: Record<string, OpenEpisode>;
}

export interface DetectorSettings {
  /** Window the reference median is taken over (default 60 min): twice the typical event (17–29 min), so the median stays at the pre-event level through one. */
  referenceMs: number;
  /** Window of the current level's median (default 5 min): ignores spikes shorter than half of it (turbidity spikes) at a delay of about half of it. */
  smoothMs: number;
  /** Readings a reference window needs to count (default 20): fewer (a gap) gives no deviation for that channel. */
  minReference: number;
  /** Samples an hour needs to be learned from (default 30): fewer (a gap, a device reporting less often) and it is skipped. */
  minHourSamples: number;
  /** Hours of data before verdicts start (default 48): the first 24 learn scales and correlation, all of them feed the threshold. */
  commissioningHours: number;
  /** Hourly score maxima needed before verdicts start (default 24). */
  minMaxima: number;
  /** Hourly maxima kept for the threshold (default 336, two weeks): bounds the state. */
  maximaKept: number;
  /** Hours the slow baseline update averages over after commissioning (default 168, a week). */
  learnHours: number;
  /** False-alarm budget: event episodes a week on normal data (default 0.5, issue 14). */
  budgetPerWeek: number;
  /** Threshold never below this score (default 25): guards a device whose normal data are almost constant. */
  minThreshold: number;
  /** The episode ends when the score stays below threshold × this (default 0.5) for `holdMs`. */
  lowFactor: number;
  /** Hold after the score last exceeded the low threshold (default 5 min, the best of 3, 5, 10 and 15 on the tuning part of the real data): a disturbance whose score dips for a few minutes stays one episode. */
  holdMs: number;
  /** The score must stay over the threshold this long to start an event (default 1 min: the newest sample alone). */
  confirmMs: number;
  /** A channel counts as moved from |z| at or above this (default 3). */
  channelZ: number;
  /** Channels the score needs (default 2): with one channel there is no correlation to judge by. */
  minChannels: number;
  /** Normal-data correlation (|r|) that makes two channels partners (default 0.7, chosen on the tuning part of the real data): a partner that stays put while its channel moves marks a sensor fault. */
  partnerR: number;
  /** An event longer than this ends (default 12 h). */
  maxEventMs: number;
  /** |z| a suspect channel must have when its `faultConfirmMs` is up to be a fault (default 6): a smaller lone move is neither event nor fault. */
  faultMinZ: number;
  /** A fault ends when its channel is back within this many σ of its level before the fault (default 3). */
  faultZ: number;
  /** A partner counts as staying put below this |z| (default 2). */
  quietZ: number;
  /** Share of the `faultConfirmMs` window's samples at which the channel must be suspect to be a fault (default 0.8). */
  faultShare: number;
  /** How long a lone deviation must last to be a fault (default 15 min): short single-channel blips are ignored. */
  faultConfirmMs: number;
  /** A fault older than this is closed and its level accepted (default 24 h). */
  maxFaultMs: number;
  /** Shrinkage of the learned correlation toward independence (default 0.2): keeps R well conditioned. */
  shrink: number;
  /** Assumed sampling interval (default 1 min): converts windows to the stored samples `history` must hold. */
  sampleIntervalMs: number;
  /** Reporting resolution per metric: the smallest scale a channel is given (chlorine and pH report at 0.01). */
  resolution: Readonly<Record<string, number>>;
}

/** Water metrics the detector watches. */
export const DETECTOR_METRICS: readonly string[] = [
  'ph',
  'free_chlorine_mg_l',
  'orp_mv',
  'conductivity_us_cm',
  'turbidity_ntu',
  'temperature_c',
];

export const DETECTOR_DEFAULTS: DetectorSettings = {
  referenceMs: 60 * MINUTE_MS,
  smoothMs: 5 * MINUTE_MS,
  minReference: 20,
  minHourSamples: 30,
  commissioningHours: 48,
  minMaxima: 24,
  maximaKept: 336,
  learnHours: 168,
  budgetPerWeek: 0.5,
  minThreshold: 25,
  lowFactor: 0.5,
  holdMs: 5 * MINUTE_MS,
  confirmMs: MINUTE_MS,
  channelZ: 3,
  minChannels: 2,
  partnerR: 0.7,
  maxEventMs: 12 * HOUR_MS,
  faultMinZ: 6,
  faultZ: 3,
  quietZ: 2,
  faultShare: 0.8,
  faultConfirmMs: 15 * MINUTE_MS,
  maxFaultMs: 24 * HOUR_MS,
  shrink: 0.2,
  sampleIntervalMs: MINUTE_MS,
  resolution: {
    ph: 0.01,
    free_chlorine_mg_l: 0.01,
    orp_mv: 1,
    conductivity_us_cm: 1,
    turbidity_ntu: 0.001,
    temperature_c: 0.1,
  },
};

const STATE_VERSION = 1;
const N = DETECTOR_METRICS.length;
const WEEK_HOURS = 168;

/** How many stored samples before the new ones the detector needs in `history` (newest last). */
export function detectorHistoryNeed(settings: DetectorSettings = DETECTOR_DEFAULTS): number {
  // The hour just ended is learned from at its boundary; each of its samples needs its own reference window.
  const span = HOUR_MS + settings.referenceMs + settings.smoothMs;
  return Math.ceil(span / settings.sampleIntervalMs) + 2;
}

/**
 * Whether a state is still commissioning: its verdicts say `learning` and nothing else, so between hour boundaries
 * they read no history (`detectorHistoryPlan`).
 */
export function detectorLearning(
  state: DetectorState,
  settings: DetectorSettings = DETECTOR_DEFAULTS,
): boolean {
  return Math.max(...state.hours) < settings.commissioningHours || state.maxima.length < settings.minMaxima;
}

const round4 = (x: number) => (x === 0 || !Number.isFinite(x) ? 0 : Number(x.toPrecision(4)));

function freshState(ts: number): DetectorState {
  return {
    v: STATE_VERSION,
    hour: Math.floor(ts / HOUR_MS),
    hours: new Array(N).fill(0),
    scale: new Array(N).fill(0),
    corr: new Array((N * (N - 1)) / 2).fill(0),
    maxima: [],
    quietAfter: 0,
    event: null,
    faults: {},
  };
}

const pairIndex = (i: number, j: number): number =>
  i < j ? i * N - (i * (i + 1)) / 2 + (j - i - 1) : pairIndex(j, i);

/** The samples of one call as columns, with each sample's smoothed level and reference median computed lazily. */
class Series {
  readonly ts: Float64Array;
  /** Per channel, its reading at each sample; NaN where the sample has none. */
  readonly x: Float64Array[];
  /** Per channel, `levelAt` / `refAt` computed so far: NaN not yet, `NONE` null. Typed, so no number is boxed. */
  private readonly level: Float64Array[];
  private readonly ref: Float64Array[];
  /** Per channel, the last reference window read (`window`): its readings sorted in `buf[0..n)`. */
  private readonly windows: (SortedWindow | undefined)[];

  /** Scratch for a smoothing window's readings (`levelAt`), reused: levels are computed for every sample. */
  private level_: Float64Array = new Float64Array(16);

  /** True once a window reached back to where the given history may be incomplete (see `runDetector`). */
  short = false;

  constructor(
    samples: readonly DetectorInput[],
    private readonly s: DetectorSettings,
    /** Every stored sample with a time after this is in `samples`; older ones may be missing. */
    private readonly completeAfter: number,
  ) {
    // One buffer for every column: typed arrays are costly to create one by one, and a run makes them for ~70 samples.
    const n = samples.length;
    const all = new Float64Array((1 + 3 * N) * n);
    this.ts = all.subarray(0, n);
    this.x = [];
    this.level = [];
    this.ref = [];
    for (let c = 0; c < N; c++) {
      this.x.push(all.subarray((1 + c) * n, (2 + c) * n));
      this.level.push(all.subarray((1 + N + c) * n, (2 + N + c) * n));
      this.ref.push(all.subarray((1 + 2 * N + c) * n, (2 + 2 * N + c) * n));
    }
    all.fill(Number.NaN, (1 + N) * n);
    for (let k = 0; k < n; k++) {
      const p = samples[k] as DetectorInput;
      this.ts[k] = p.ts;
      for (let c = 0; c < N; c++) {
        const m = DETECTOR_METRICS[c] as string;
        const v = Object.hasOwn(p.values, m) ? p.values[m] : undefined;
        (this.x[c] as Float64Array)[k] = typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
      }
    }
    this.windows = DETECTOR_METRICS.map(() => undefined);
  }

  /** First index with ts ≥ t (binary search). */
  private firstAt(t: number): number {
    let lo = 0;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ts[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Notes a window over samples with a time after `bound`: short when samples at or before it may be missing. */
  reach(bound: number): void {
    if (bound < this.completeAfter) this.short = true;
  }

  /** Median of channel c over (ts[k] − smoothMs, ts[k]]; null when none. A median, so a spike shorter than half the window moves nothing. */
  levelAt(c: number, k: number): number | null {
    const row = this.level[c] as Float64Array;
    const cached = row[k] as number;
    if (!Number.isNaN(cached)) return cached === NONE ? null : cached;
    const t = this.ts[k] as number;
    this.reach(t - this.s.smoothMs);
    const xs = this.x[c] as Float64Array;
    let n = 0;
    for (let j = k; j >= 0 && (this.ts[j] as number) > t - this.s.smoothMs; j--) {
      const v = xs[j] as number;
      if (Number.isNaN(v)) continue;
      if (n === this.level_.length) this.level_ = grown(this.level_);
      this.level_[n++] = v;
    }
    const out = n === 0 ? null : sortedMedian(this.level_.subarray(0, n).sort());
    row[k] = out ?? NONE;
    return out;
  }

  /** Median of channel c over the reference window before the smoothing window of sample k; null when too few. */
  refAt(c: number, k: number): number | null {
    const row = this.ref[c] as Float64Array;
    const cached = row[k] as number;
    if (!Number.isNaN(cached)) return cached === NONE ? null : cached;
    const t = (this.ts[k] as number) - this.s.smoothMs;
    this.reach(t - this.s.referenceMs);
    const win = this.window(c, this.firstAt(t - this.s.referenceMs + 1), this.firstAt(t + 1));
    const out = win.count >= this.s.minReference ? win.median : null;
    row[k] = out ?? NONE;
    return out;
  }

  /**
   * The median of channel c's readings at indices [from, to) and how many there are. Consecutive samples' reference
   * windows share all but a few readings, so the previous window is slid (readings leaving it removed, those entering
   * it inserted, each by binary search in a sorted buffer) rather than sorted afresh: the reference medians are most
   * of the detector's work.
   */
  private window(c: number, from: number, to: number): { median: number; count: number } {
    const xs = this.x[c] as Float64Array;
    let w = this.windows[c];
    const moved = w === undefined ? Number.POSITIVE_INFINITY : Math.abs(from - w.from) + Math.abs(to - w.to);
    if (w === undefined || moved >= to - from || to <= w.from || from >= w.to) {
      const size = Math.max(64, 2 * (to - from));
      const buf = w !== undefined && w.buf.length >= size ? w.buf : new Float64Array(size);
      let n = 0;
      for (let j = from; j < to; j++) {
        const v = xs[j] as number;
        if (!Number.isNaN(v)) buf[n++] = v;
      }
      // A typed array sorts numerically without calling a comparator.
      buf.subarray(0, n).sort();
      w = { from, to, buf, n };
      this.windows[c] = w;
    } else {
      for (let j = w.from; j < from; j++) removeSorted(w, xs[j] as number);
      for (let j = from; j < w.from; j++) insertSorted(w, xs[j] as number);
      for (let j = to; j < w.to; j++) removeSorted(w, xs[j] as number);
      for (let j = w.to; j < to; j++) insertSorted(w, xs[j] as number);
      w.from = from;
      w.to = to;
    }
    return { median: sortedMedian(w.buf.subarray(0, w.n)), count: w.n };
  }

  /** Index range [from, to) of samples with ts in [a, b). */
  range(a: number, b: number): [number, number] {
    this.reach(a - 1);
    return [this.firstAt(a), this.firstAt(b)];
  }
}

/** Factors shared across calls, by shrinkage, channel set and correlation; the oldest dropped beyond `FACTORS_KEPT`. */
const FACTORS = new Map<string, Float64Array | null>();
const FACTORS_KEPT = 512;

/** Cholesky solve of the shrunk correlation restricted to `idx`; cached per channel set within a call. */
class Scorer {
  /** Lower-triangular factors, row-major n×n, by channel set (bit c for channel c); null where R is not positive definite. */
  private readonly cache = new Map<number, Float64Array | null>();
  /** This correlation's part of the shared factors' key, made on the first factor not in `cache`. */
  private corrKey: string | undefined;

  constructor(
    private readonly corr: readonly number[],
    private readonly shrink: number,
  ) {}

  private factor(idx: readonly number[]): Float64Array | null {
    // Channels are taken in ascending order (`computeLook`), so the set fixes the order of `idx`.
    let key = 0;
    for (const c of idx) key |= 1 << c;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    // The same learned correlation serves every batch of a device until its next hour: factor it once.
    this.corrKey ??= `${this.shrink}|${this.corr.join(',')}`;
    const sharedKey = `${key}|${this.corrKey}`;
    const shared = FACTORS.get(sharedKey);
    if (shared !== undefined) {
      this.cache.set(key, shared);
      return shared;
    }
    const out = this.computeFactor(idx);
    if (FACTORS.size >= FACTORS_KEPT) FACTORS.delete(FACTORS.keys().next().value as string);
    FACTORS.set(sharedKey, out);
    this.cache.set(key, out);
    return out;
  }

  private computeFactor(idx: readonly number[]): Float64Array | null {
    const n = idx.length;
    const L = new Float64Array(n * n);
    let ok = true;
    for (let a = 0; a < n && ok; a++) {
      for (let b = 0; b <= a; b++) {
        const ia = idx[a] as number;
        const ib = idx[b] as number;
        let sum = ia === ib ? 1 : (1 - this.shrink) * (this.corr[pairIndex(ia, ib)] as number);
        for (let k = 0; k < b; k++) sum -= (L[a * n + k] as number) * (L[b * n + k] as number);
        if (a !== b) L[a * n + b] = sum / (L[b * n + b] as number);
        else if (sum > 1e-9) L[a * n + a] = Math.sqrt(sum);
        else ok = false;
      }
    }
    return ok ? L : null;
  }

  /** zᵀR⁻¹z over the channels in `idx`; falls back to Σz² when R is not positive definite. */
  score(idx: readonly number[], z: readonly number[]): number {
    const L = this.factor(idx);
    if (L === null) return z.reduce((s, v) => s + v * v, 0);
    const n = idx.length;
    const y = new Float64Array(n);
    let q = 0;
    for (let a = 0; a < n; a++) {
      let v = z[a] as number;
      for (let k = 0; k < a; k++) v -= (L[a * n + k] as number) * (y[k] as number);
      const ya = v / (L[a * n + a] as number);
      y[a] = ya;
      q += ya * ya;
    }
    return q;
  }
}

/** What one sample looks like against the current baseline. */
interface Look {
  /** Per channel: deviation in unit and z (null where unavailable). */
  d: (number | null)[];
  z: (number | null)[];
  /** Event score over the usable channels that are not in fault, and how many of them moved. */
  score: number;
  moved: number;
}

/**
 * The event threshold the false-alarm budget gives: an exponential tail fitted to the top fifth of the hourly score
 * maxima (at least 5), solved for the hourly rate budget / 168. Never below `minThreshold`.
 */
export function thresholdFromMaxima(
  maxima: readonly number[],
  settings: DetectorSettings = DETECTOR_DEFAULTS,
): number {
  // A ring is read in every batch and changes once an hour: a frozen ring (the stored state's, see the state codec)
  // keeps its threshold for as long as it lives.
  if (!Object.isFrozen(maxima)) return fitThreshold(maxima, settings);
  const known = THRESHOLDS.get(maxima);
  if (known !== undefined && known.settings === settings) return known.value;
  const value = fitThreshold(maxima, settings);
  THRESHOLDS.set(maxima, { settings, value });
  return value;
}

/** Thresholds of frozen rings, by ring (weakly: a ring no state holds is dropped). */
const THRESHOLDS = new WeakMap<readonly number[], { settings: DetectorSettings; value: number }>();

function fitThreshold(maxima: readonly number[], settings: DetectorSettings): number {
  // Log scores: real score tails are heavy (Pareto-like), and an exponential fit on the raw score set the threshold
  // too low on real data. Hours with no moved channel (score 0) count toward N but not toward the tail.
  const sorted = maxima.filter((x) => x > 0).sort((a, b) => b - a);
  const n = maxima.length;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const p = settings.budgetPerWeek / WEEK_HOURS;
  const m = Math.min(sorted.length, Math.max(5, Math.ceil(n / 5)));
  if (m < 2) return settings.minThreshold;
  const u0 = Math.log(sorted[m - 1] as number);
  // β from the median log excess (an exponential's median is β·ln 2), not the mean: a few hours with a real event or a
  // sensor glitch in the ring barely move it, where the mean let one such hour raise the threshold for two weeks.
  const excess = sorted.slice(0, m - 1).map((x) => Math.log(x) - u0);
  const beta = Math.max(median(excess) / Math.LN2, 1e-6);
  const t = Math.exp(u0 + beta * Math.max(0, Math.log(m / n / p)));
  return Math.max(settings.minThreshold, round4(t));
}

class Run {
  readonly series: Series;
  private scorer: Scorer;
  private threshold: number;
  changed = false;

  constructor(
    public state: DetectorState,
    samples: readonly DetectorInput[],
    private readonly s: DetectorSettings,
    completeAfter: number,
  ) {
    this.series = new Series(samples, s, completeAfter);
    this.scorer = new Scorer(state.corr, s.shrink);
    this.threshold = thresholdFromMaxima(state.maxima, s);
  }

  private learned(c: number): boolean {
    return (
      (this.state.hours[c] as number) >= Math.min(24, this.s.commissioningHours / 2) &&
      (this.state.scale[c] as number) > 0
    );
  }

  get learning(): boolean {
    return detectorLearning(this.state, this.s);
  }

  /** Sample k against the baseline; `refs` overrides the reference per channel (an open episode's frozen levels). */
  look(k: number, refs?: (number | null)[]): Look {
    if (refs !== undefined) return this.computeLook(k, refs);
    const cached = this.looks[k];
    if (cached !== undefined && cached.version === this.lookVersion) return cached.look;
    const look = this.computeLook(k);
    this.looks[k] = { version: this.lookVersion, look };
    return look;
  }

  /** Looks computed so far in this run, by sample index, valid while `lookVersion` is theirs. */
  private readonly looks: ({ version: number; look: Look } | undefined)[] = [];
  /** Bumped whenever what a look depends on besides the samples changes: the baseline, the open faults. */
  private lookVersion = 0;

  private computeLook(k: number, refs?: (number | null)[]): Look {
    const d: (number | null)[] = [];
    const z: (number | null)[] = [];
    const idx: number[] = [];
    const zs: number[] = [];
    for (let c = 0; c < N; c++) {
      const level = this.series.levelAt(c, k);
      const ref = refs?.[c] ?? this.series.refAt(c, k);
      const scale = this.state.scale[c] as number;
      if (level === null || ref === null) {
        d.push(null);
        z.push(null);
        continue;
      }
      const dc = level - ref;
      d.push(dc);
      if (scale <= 0 || !this.learned(c)) {
        z.push(null);
        continue;
      }
      z.push(dc / scale);
    }
    // Channels that moved and are not explained as a lone sensor move (a partner that should have followed did not).
    // A suspected sensor move stays out of the event score too: the water did not move with it.
    let moved = 0;
    for (let c = 0; c < N; c++) {
      const zc = z[c];
      if (zc === null || zc === undefined || this.state.faults[DETECTOR_METRICS[c] as string] !== undefined)
        continue;
      if (this.suspect(c, z)) continue;
      idx.push(c);
      zs.push(zc);
      if (Math.abs(zc) >= this.s.channelZ) moved++;
    }
    const score = idx.length >= this.s.minChannels ? this.scorer.score(idx, zs) : 0;
    return { d, z, score, moved };
  }

  /**
   * Channel c moved in a way that reads as the sensor, not the water: a partner (|r| ≥ partnerR on normal data) that
   * should have followed by at least `channelZ` stayed within `quietZ`; or c moved alone — every other channel within
   * `quietZ` — whether as a step or a drift (issue 14: one channel moving while the others stay put is a sensor fault).
   * On real data such lone moves (a turbidity step after cleaning, chlorine read as 0 for a quarter hour, a pH step)
   * were most of the false alarms, and a lone step could not be told from a drift reliably by its shape: a step reads
   * as a ramp 5–15 min after it, which split one disturbance into two alarms.
   */
  suspect(c: number, z: readonly (number | null)[]): boolean {
    const zc = z[c];
    if (zc === null || zc === undefined || Math.abs(zc) < this.s.channelZ) return false;
    let alone = true;
    for (let j = 0; j < N; j++) {
      const zj = z[j];
      if (j === c || zj === null || zj === undefined) continue;
      const r = this.state.corr[pairIndex(c, j)] as number;
      const partner = Math.abs(r) >= this.s.partnerR;
      // How far j moved the way the correlation says it follows c: negative when it moved against it.
      const along = partner ? Math.sign(r * zc) * zj : Math.abs(zj);
      if (along >= this.s.quietZ) alone = false;
      // A partner stays put when it moved less than half what the correlation says it should have (or within quietZ),
      // counted in the direction it should have moved: a partner that went the other way did not follow.
      if (
        partner &&
        Math.abs(r * zc) >= this.s.channelZ &&
        along < Math.max(this.s.quietZ, Math.abs(r * zc) / 2)
      )
        return true;
    }
    return alone;
  }

  /** The score that counts toward an event: zero unless a channel moved that is not a suspected sensor fault. */
  eventScore(look: Look): number {
    return look.moved >= 1 ? look.score : 0;
  }

  /**
   * The event score held over the last `confirmMs`: its minimum there, so a blip shorter than that never starts an
   * event. `gated` false: the score whether or not a channel moved (what the threshold's hourly maxima record).
   */
  confirmedScore(k: number, gated = true): number {
    let min = Number.POSITIVE_INFINITY;
    for (let j = k, first = this.since(k, this.s.confirmMs); j >= first; j--) {
      const look = this.look(j);
      min = Math.min(min, gated ? this.eventScore(look) : look.score);
    }
    return min;
  }

  private pushMaximum(max: number): void {
    // A new ring, not the one given (`cloneState` shares it): the given state is not changed.
    const maxima = [...this.state.maxima, round4(max)];
    if (maxima.length > this.s.maximaKept) maxima.splice(0, maxima.length - this.s.maximaKept);
    this.state.maxima = maxima;
  }

  /** Hour boundary: learn from the hour that ended unless an event or fault touched it. */
  learnHour(hourIndex: number): void {
    const start = hourIndex * HOUR_MS;
    const [from, to] = this.series.range(start, start + HOUR_MS);
    if (to - from < this.s.minHourSamples) return;
    const st = this.state;
    if (st.event !== null || st.quietAfter >= start) return;
    const faulty = new Set(Object.keys(st.faults));
    // The hour's deviations, row k − from, column c; NaN where a level or reference is missing.
    const rows = to - from;
    const ds = new Float64Array(rows * N);
    for (let k = from; k < to; k++) {
      for (let c = 0; c < N; c++) {
        const level = this.series.levelAt(c, k);
        const ref = this.series.refAt(c, k);
        ds[(k - from) * N + c] = level === null || ref === null ? Number.NaN : level - ref;
      }
    }
    // Hourly maximum of the score with the baseline as it stood during the hour (before this update). Not gated on a
    // moved channel: with lone moves suspect, most normal hours have none, and a ring of mostly zeros left a tail fit on
    // a few dozen hours whose largest set the threshold (it swung between 140 and 720 on real data).
    if (Math.max(...st.hours) >= Math.min(24, this.s.commissioningHours / 2)) {
      let max = 0;
      for (let k = from; k < to; k++) max = Math.max(max, this.confirmedScore(k, false));
      this.pushMaximum(max);
    }
    for (let c = 0; c < N; c++) {
      if (faulty.has(DETECTOR_METRICS[c] as string)) continue;
      const vals = new Float64Array(rows);
      let count = 0;
      for (let r = 0; r < rows; r++) {
        const v = ds[r * N + c] as number;
        if (!Number.isNaN(v)) vals[count++] = v;
      }
      if (count < this.s.minHourSamples) continue;
      const sorted = vals.subarray(0, count).sort();
      const med = sortedMedian(sorted);
      for (let r = 0; r < count; r++) sorted[r] = Math.abs((sorted[r] as number) - med);
      const mad = 1.4826 * sortedMedian(sorted.sort());
      const floor = this.s.resolution[DETECTOR_METRICS[c] as string] ?? 0;
      const hourScale = Math.max(mad, floor, 1e-9);
      const n = st.hours[c] as number;
      const alpha = 1 / Math.min(n + 1, this.s.learnHours);
      const old = st.scale[c] as number;
      st.scale[c] = round4(
        old > 0 ? Math.exp((1 - alpha) * Math.log(old) + alpha * Math.log(hourScale)) : hourScale,
      );
      st.hours[c] = n + 1;
    }
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const si = st.scale[i] as number;
        const sj = st.scale[j] as number;
        if (
          si <= 0 ||
          sj <= 0 ||
          faulty.has(DETECTOR_METRICS[i] as string) ||
          faulty.has(DETECTOR_METRICS[j] as string)
        )
          continue;
        let sxy = 0;
        let sxx = 0;
        let syy = 0;
        let n = 0;
        for (let r = 0; r < rows; r++) {
          const a = ds[r * N + i] as number;
          const b = ds[r * N + j] as number;
          if (Number.isNaN(a) || Number.isNaN(b)) continue;
          // Clipped so one wild reading cannot set the hour's correlation.
          const za = clip(a / si, 4);
          const zb = clip(b / sj, 4);
          sxy += za * zb;
          sxx += za * za;
          syy += zb * zb;
          n++;
        }
        if (n < this.s.minHourSamples || sxx === 0 || syy === 0) continue;
        const r = sxy / Math.sqrt(sxx * syy);
        const hours = Math.min(st.hours[i] as number, st.hours[j] as number);
        const alpha = 1 / Math.min(Math.max(hours, 1), this.s.learnHours);
        const p = pairIndex(i, j);
        st.corr[p] = round4((1 - alpha) * (st.corr[p] as number) + alpha * r);
      }
    }
    this.scorer = new Scorer(st.corr, this.s.shrink);
    this.threshold = thresholdFromMaxima(st.maxima, this.s);
    this.lookVersion++;
  }

  private refsAt(k: number): (number | null)[] {
    return DETECTOR_METRICS.map((_, c) => this.series.refAt(c, k));
  }

  private channelsOf(look: Look, faulty: Set<string>): EventFinding['channels'] {
    const out: EventFinding['channels'] = [];
    for (let c = 0; c < N; c++) {
      const z = look.z[c];
      const d = look.d[c];
      const metric = DETECTOR_METRICS[c] as string;
      if (z === null || z === undefined || d === null || d === undefined || faulty.has(metric)) continue;
      out.push({ metric, shift: round4(d), sigma: round4(z) });
    }
    out.sort((a, b) => Math.abs(b.sigma) - Math.abs(a.sigma));
    const moved = out.filter((ch) => Math.abs(ch.sigma) >= this.s.channelZ);
    return moved.length >= this.s.minChannels ? moved : out.slice(0, this.s.minChannels);
  }

  /** The first index of the samples in (ts[k] − span, ts[k]]: they are indices `since(k, span)` … k. */
  private since(k: number, span: number): number {
    const t = this.series.ts[k] as number;
    this.series.reach(t - span);
    let j = k;
    while (j > 0 && (this.series.ts[j - 1] as number) > t - span) j--;
    return j;
  }

  /** Whether `test` holds for every sample in (ts[k] − span, ts[k]], tried newest first up to the first that fails. */
  private every(k: number, span: number, test: (j: number) => boolean): boolean {
    for (let j = k, first = this.since(k, span); j >= first; j--) if (!test(j)) return false;
    return true;
  }

  private updateFaults(k: number): void {
    const st = this.state;
    const t = this.series.ts[k] as number;
    for (const [metric, fault] of Object.entries(st.faults)) {
      const c = DETECTOR_METRICS.indexOf(metric);
      const back = this.every(k, this.s.faultConfirmMs, (j) => {
        const level = this.series.levelAt(c, j);
        const ref = fault.ref[c];
        return (
          level === null ||
          ref === null ||
          ref === undefined ||
          Math.abs(level - ref) / (st.scale[c] as number) < this.s.faultZ
        );
      });
      // Settled: old enough that the rolling reference holds only post-fault readings, and steady against it through
      // the confirmation window. A step that stays (a sensor offset after cleaning) is then the channel's level, and
      // its limit is checked again — held open for `maxFaultMs` instead, it kept a channel out of its limit check for
      // 11 % of the real data. A drift is never steady against the rolling reference, so its fault stays open.
      const settled =
        t - fault.since > this.s.referenceMs + this.s.smoothMs + this.s.faultConfirmMs &&
        this.every(k, this.s.faultConfirmMs, (j) => {
          const level = this.series.levelAt(c, j);
          const ref = this.series.refAt(c, j);
          return (
            level === null || ref === null || Math.abs(level - ref) / (st.scale[c] as number) < this.s.faultZ
          );
        });
      if (back || settled || t - fault.since > this.s.maxFaultMs) {
        delete st.faults[metric];
        st.quietAfter = Math.max(st.quietAfter, t);
        this.changed = true;
        this.lookVersion++;
      }
    }
    if (this.learning) return;
    const first = this.since(k, this.s.faultConfirmMs);
    const windowSamples = k - first + 1;
    // The window must reach back the whole confirmation span, so a short batch after a gap cannot confirm early.
    if (t - (this.series.ts[first] as number) < this.s.faultConfirmMs - 2 * this.s.sampleIntervalMs) return;
    const newest = this.look(k).z;
    for (let c = 0; c < N; c++) {
      const metric = DETECTOR_METRICS[c] as string;
      if (st.faults[metric] !== undefined || !this.learned(c)) continue;
      // Suspect through the window (a moved channel, |z| ≥ channelZ) and at faultMinZ now. Most of the window, not every
      // sample: a partner that wanders past quietZ for one sample (5 % of normal samples each) otherwise restarted the
      // confirmation, and the simulator's pH drift (0.3/h) was confirmed 30–46 min in, or not within its 50 minutes.
      if (Math.abs(newest[c] ?? 0) < this.s.faultMinZ || !this.suspect(c, newest)) continue;
      let suspectSamples = 0;
      // The fault began at the earliest suspect sample of the window.
      let began = k;
      for (let j = k; j >= first; j--) {
        if (!this.suspect(c, this.look(j).z)) continue;
        suspectSamples++;
        began = j;
      }
      if (suspectSamples < this.s.faultShare * windowSamples) continue;
      st.faults[metric] = { since: this.series.ts[began] as number, ref: this.refsAt(began).map(roundRef) };
      this.changed = true;
      this.lookVersion++;
    }
  }

  /** Verdict at sample k (k is a new sample). */
  step(k: number): DetectorVerdict {
    const st = this.state;
    const t = this.series.ts[k] as number;
    const hourIndex = Math.floor(t / HOUR_MS);
    if (hourIndex > st.hour) {
      this.learnHour(hourIndex - 1);
      st.hour = hourIndex;
      this.changed = true;
    }
    this.updateFaults(k);
    const faulty = new Set(Object.keys(st.faults));
    const faults: FaultFinding[] = Object.entries(st.faults).map(([metric, f]) => {
      const c = DETECTOR_METRICS.indexOf(metric);
      const level = this.series.levelAt(c, k);
      const ref = f.ref[c];
      const shift = level === null || ref === null || ref === undefined ? 0 : level - ref;
      return { metric, since: f.since, shift: round4(shift), sigma: round4(shift / (st.scale[c] as number)) };
    });
    if (this.learning) return { ts: t, faults, learning: true };
    const low = this.threshold * this.s.lowFactor;
    if (st.event !== null) {
      const ev = st.event;
      const hold = !this.every(k, this.s.holdMs, (j) => !(this.look(j).score >= low));
      if (!hold || t - ev.since > this.s.maxEventMs) {
        st.event = null;
        st.quietAfter = t;
        this.changed = true;
      } else {
        const look = this.look(k);
        return {
          ts: t,
          event: {
            since: ev.since,
            channels: this.channelsOf(look, faulty),
            score: round4(look.score),
            threshold: this.threshold,
          },
          faults,
          learning: false,
        };
      }
    }
    const look = this.look(k);
    const score = this.confirmedScore(k);
    if (st.event === null && score >= this.threshold && st.quietAfter < t) {
      st.event = { since: t };
      this.changed = true;
      return {
        ts: t,
        event: {
          since: t,
          channels: this.channelsOf(look, faulty),
          score: round4(look.score),
          threshold: this.threshold,
        },
        faults,
        learning: false,
      };
    }
    return { ts: t, faults, learning: false };
  }
}

/** A level or reference computed as null (too few readings), in `Series`' typed caches: no median is infinite. */
const NONE = Number.POSITIVE_INFINITY;

/** A buffer twice as long with the same leading values. */
function grown(buf: Float64Array): Float64Array {
  const out = new Float64Array(2 * buf.length);
  out.set(buf);
  return out;
}

/** A window's readings, sorted ascending in `buf[0..n)`, and the sample indices [from, to) they come from. */
interface SortedWindow {
  from: number;
  to: number;
  buf: Float64Array;
  n: number;
}

/** First index of the window's sorted readings whose value is not below v. */
function lowerBound(w: SortedWindow, v: number): number {
  let lo = 0;
  let hi = w.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((w.buf[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(w: SortedWindow, v: number): void {
  if (Number.isNaN(v)) return;
  if (w.n === w.buf.length) w.buf = grown(w.buf);
  const at = lowerBound(w, v);
  w.buf.copyWithin(at + 1, at, w.n);
  w.buf[at] = v;
  w.n++;
}

function removeSorted(w: SortedWindow, v: number): void {
  if (Number.isNaN(v)) return;
  const at = lowerBound(w, v);
  w.buf.copyWithin(at, at + 1, w.n);
  w.n--;
}

const roundRef = (v: number | null) => (v === null ? null : Number(v.toPrecision(8)));
const clip = (v: number, lim: number) => Math.max(-lim, Math.min(lim, v));

// Medians of every window are the detector's hottest loop: numericMedian sorts without a comparator call.
const median = numericMedian;

/**
 * A copy the run may change (the state is plain data: numbers, arrays of numbers, an event, faults). The ring of
 * hourly maxima is shared, not copied: the run replaces it rather than change it (`pushMaximum`), as it is read in every
 * batch and changes once an hour.
 */
function cloneState(state: DetectorState): DetectorState {
  const faults: Record<string, OpenEpisode> = {};
  for (const [metric, f] of Object.entries(state.faults ?? {}))
    faults[metric] = { since: f.since, ref: [...f.ref] };
  return {
    ...state,
    hours: [...state.hours],
    scale: [...state.scale],
    corr: [...state.corr],
    event: state.event === null ? null : { ...state.event },
    faults,
  };
}

/** Whether a state (as stored, of any version) is one this detector runs on; any other starts afresh. */
export function usableState(state: DetectorState | undefined): state is DetectorState {
  return (
    state !== undefined &&
    state.v === STATE_VERSION &&
    Array.isArray(state.hours) &&
    state.hours.length === N &&
    Array.isArray(state.scale) &&
    state.scale.length === N &&
    Array.isArray(state.corr) &&
    state.corr.length === (N * (N - 1)) / 2 &&
    Array.isArray(state.maxima)
  );
}

/** What `runDetector` returns. */
export interface DetectorRun {
  state: DetectorState;
  /** The state differs from the one given: store it. */
  changed: boolean;
  verdicts: DetectorVerdict[];
  /**
   * A window reached back past `historyCompleteAfter`, where the history given may lack samples: the run is not
   * valid; run again with more history. Always false without `historyCompleteAfter`.
   */
  short: boolean;
}

/**
 * Runs the detector over a device's new samples (time-ordered, after every stored sample in `history`; `history` is
 * time-ordered, oldest first, and may be shorter than asked at the start of a device's life or after a gap).
 * `state` undefined (or of another version): a new device (commissioning starts). Deterministic: the same inputs give
 * the same result, so a redelivered batch reaches the same verdicts.
 *
 * `historyCompleteAfter`: `history` holds every stored sample after this time and may lack older ones (a read cut
 * short on purpose, see `detectorHistoryPlan`). When no window the verdicts look at reaches back that far, the result
 * is exactly that of any longer history; otherwise it comes back `short`.
 */
export function runDetector(
  state: DetectorState | undefined,
  history: readonly DetectorInput[],
  newSamples: readonly DetectorInput[],
  settings: DetectorSettings = DETECTOR_DEFAULTS,
  historyCompleteAfter = Number.NEGATIVE_INFINITY,
): DetectorRun {
  const first = newSamples[0];
  if (first === undefined) {
    return { state: state ?? freshState(0), changed: false, verdicts: [], short: false };
  }
  const fresh = !usableState(state);
  const start: DetectorState = fresh ? freshState(first.ts) : cloneState(state);
  // A sample not after the newest seen (a redelivery or an out-of-order one) gets a verdict but moves nothing.
  const lastHistory = history[history.length - 1];
  const samples = [...history, ...newSamples];
  const run = new Run(start, samples, settings, historyCompleteAfter);
  const verdicts: DetectorVerdict[] = [];
  let newest = lastHistory?.ts ?? Number.NEGATIVE_INFINITY;
  for (let i = 0; i < newSamples.length; i++) {
    const k = history.length + i;
    const ts = run.series.ts[k] as number;
    if (ts <= newest) {
      verdicts.push({ ts, faults: [], learning: run.learning });
      continue;
    }
    newest = ts;
    verdicts.push(run.step(k));
  }
  return { state: run.state, changed: fresh || run.changed, verdicts, short: run.series.short };
}
