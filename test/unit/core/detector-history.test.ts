import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../device-sim/random';
import {
  detectorCanWatch,
  detectorHistoryPlan,
  detectorQuietNeed,
  detectorVerdictNeed,
} from '../../../functions/core/detector-history';
import {
  DETECTOR_DEFAULTS,
  DETECTOR_METRICS,
  type DetectorInput,
  type DetectorSettings,
  type DetectorState,
  detectorHistoryNeed,
  runDetector,
} from '../../../functions/core/event-detector';
import { phOrpShift, waterSeries } from '../../helpers/water-series';

/** Shorter commissioning than the default so verdicts start within the test's series. */
const FAST: DetectorSettings = { ...DETECTOR_DEFAULTS, commissioningHours: 12, minMaxima: 6 };

/**
 * Feeds `samples` in batches as ingest does, each batch twice from the same stored state: once with the full history
 * and once as `detectorHistoryPlan` says (the shorter read first, checked through `historyCompleteAfter`, the longer
 * one when that run comes back short). Returns how often each read was used and every mismatch (there must be none).
 */
function compare(
  samples: readonly DetectorInput[],
  sizes: (batch: number) => number,
  settings = FAST,
  intervalMs = settings.sampleIntervalMs,
) {
  const full = detectorHistoryNeed(settings);
  let stored: DetectorState | undefined;
  const used = { full: 0, short: 0, none: 0, quiet: 0, escalated: 0, firstSizes: new Set<number>() };
  const mismatches: string[] = [];
  let events = 0;
  let faults = 0;
  for (let i = 0, b = 0; i < samples.length; b++) {
    const batch = samples.slice(i, i + sizes(b));
    const newest = (batch[batch.length - 1] as DetectorInput).ts;
    const plan = detectorHistoryPlan(stored, (batch[0] as DetectorInput).ts, newest, intervalMs, settings);
    if (plan.full === full) used.full++;
    else used.short++;
    // Batches that read nothing at all (commissioning between hour boundaries), among the short ones.
    if (plan.first === 0) used.none++;
    const a = runDetector(stored, samples.slice(Math.max(0, i - full), i), batch, settings);
    let s = runDetector(
      stored,
      samples.slice(Math.max(0, i - plan.first), i),
      batch,
      settings,
      completeAfter(samples, i, plan.first),
    );
    if (plan.first < plan.full && plan.first > 0) used.quiet++;
    if (plan.first > 0) used.firstSizes.add(plan.first);
    if (s.short) {
      used.escalated++;
      s = runDetector(stored, samples.slice(Math.max(0, i - plan.full), i), batch, settings);
    }
    if (JSON.stringify(a) !== JSON.stringify(s))
      mismatches.push(`batch ${b} at sample ${i} (history ${plan.first}/${plan.full})`);
    events += a.verdicts.filter((v) => v.event).length;
    faults += a.verdicts.filter((v) => v.faults.length > 0).length;
    if (a.changed) stored = JSON.parse(JSON.stringify(a.state)) as DetectorState;
    i += batch.length;
  }
  return { used, mismatches, events, faults };
}

/** Where the `need` samples before sample `i` may be incomplete: as ingest's read says it (`EventDetection`). */
function completeAfter(samples: readonly DetectorInput[], i: number, need: number): number {
  if (need === 0) return (samples[i] as DetectorInput).ts;
  if (i < need) return Number.NEGATIVE_INFINITY;
  return (samples[i - need] as DetectorInput).ts;
}

describe('the detector history a batch needs', () => {
  it('is the full history only in batches that reach a new hour (where the detector learns), shorter otherwise', () => {
    expect(detectorHistoryNeed()).toBe(127);
    expect(detectorVerdictNeed()).toBe(82);
    const commissioning = runDetector(undefined, [], waterSeries({ minutes: 90 })).state;
    // The same state as a commissioned device's: a full two days of hours and enough hourly maxima.
    const state: DetectorState = {
      ...commissioning,
      hours: commissioning.hours.map(() => DETECTOR_DEFAULTS.commissioningHours),
      maxima: new Array(DETECTOR_DEFAULTS.minMaxima).fill(10),
    };
    const hourStart = state.hour * 3_600_000;
    expect(detectorQuietNeed()).toBe(67);
    const at = (minute: number) => hourStart + minute * 60_000;
    expect(detectorHistoryPlan(state, at(59), at(59))).toEqual({ first: 67, full: 82 });
    // A batch that reaches the next hour learns from this one: its samples before the batch, each with its 65-minute
    // windows: 127 for a batch that starts in the next hour, less for one that starts within this hour (its samples
    // are in the batch), only the batch's own windows for one that starts at the hour's start.
    expect(detectorHistoryPlan(state, at(60), at(60))).toEqual({ first: 127, full: 127 });
    expect(detectorHistoryPlan(state, at(45), at(62))).toEqual({ first: 112, full: 127 });
    expect(detectorHistoryPlan(state, at(0), at(60))).toEqual({ first: 67, full: 127 });
    // No usable state: a fresh one commissions from this batch on.
    expect(detectorHistoryPlan(undefined, at(0), at(0))).toEqual({ first: 0, full: 127 });
    expect(detectorHistoryPlan({ ...state, v: state.v + 1 }, at(0), at(0))).toEqual({ first: 0, full: 127 });
    // An open event or fault looks back through its hold or confirmation window: the longer read at once.
    expect(detectorHistoryPlan({ ...state, event: { since: hourStart } }, at(1), at(1))).toEqual({
      first: 82,
      full: 82,
    });
    expect(
      detectorHistoryPlan({ ...state, faults: { ph: { since: hourStart, ref: [] } } }, at(1), at(1)),
    ).toEqual({ first: 82, full: 82 });
    // Commissioning, a batch within the hour reads nothing (its verdicts say only "learning"); at the boundary it learns.
    expect(detectorHistoryPlan(commissioning, at(59), at(59))).toEqual({ first: 0, full: 82 });
    expect(detectorHistoryPlan(commissioning, at(50), at(60))).toEqual({ first: 117, full: 127 });
    // A state that is not whole is read as none.
    expect(detectorHistoryPlan({ ...state, scale: [] }, at(0), at(0))).toEqual({ first: 0, full: 127 });
  });

  it('gives the same verdicts and state as the full history, through an event, a sensor fault and uneven batches', () => {
    // The event comes after 14 hourly maxima: with fewer, the budget's threshold is an extrapolation far beyond them.
    const series = waterSeries({
      minutes: 26 * 60,
      seed: 7,
      dailyCycle: 0.02,
      shifts: [...phOrpShift(20 * 60, 25), { metric: 'ph', by: 0.25, from: 23 * 60, minutes: 90 }],
      drift: { metric: 'conductivity_us_cm', perMinute: 0.5, from: 25 * 60 },
      missing: (metric, i) => metric === 'turbidity_ntu' && i % 97 < 3,
    });
    const { used, mismatches, events, faults } = compare(series, (b) => 1 + ((b * 7) % 13));
    expect(mismatches).toEqual([]);
    // The comparison saw both kinds of batch and both kinds of finding.
    expect(used.short).toBeGreaterThan(used.full);
    expect(used.full).toBeGreaterThan(15);
    // Quiet batches in service mostly take the shorter read; around the event and the fault some needed the rest.
    expect(used.quiet).toBeGreaterThan(5 * used.escalated);
    expect(used.escalated).toBeGreaterThan(0);
    expect(events).toBeGreaterThan(0);
    expect(faults).toBeGreaterThan(0);
  });

  it('gives the same verdicts one sample per batch, as a live device sends them', () => {
    const series = waterSeries({
      minutes: 15 * 60,
      seed: 3,
      shifts: [{ metric: 'ph', by: 0.25, from: 13 * 60, minutes: 60 }, ...phOrpShift(14 * 60 + 20, 25)],
    });
    const { used, mismatches, faults, events } = compare(series, () => 1);
    expect(mismatches).toEqual([]);
    expect(used.short).toBeGreaterThan(50 * used.full);
    expect(used.quiet).toBeGreaterThan(5 * used.escalated);
    expect(used.escalated).toBeGreaterThan(0);
    expect(faults + events).toBeGreaterThan(0);
  });

  it('gives the same verdicts on random series, batches and gaps, commissioning included (where it reads nothing)', () => {
    for (const seed of [11, 12, 13, 14]) {
      const rnd = mulberry32(seed);
      const gapFrom = Math.floor(rnd() * 600);
      const series = waterSeries({
        minutes: 16 * 60,
        seed,
        dailyCycle: 0.01 * seed - 0.1,
        shifts: [...phOrpShift(13 * 60 + Math.floor(rnd() * 120), 20 + Math.floor(rnd() * 40))],
        emptyRows: (i) => i >= gapFrom && i < gapFrom + 30 + seed,
        missing: (metric, i) =>
          metric === DETECTOR_METRICS[seed % DETECTOR_METRICS.length] && i % (50 + seed) < 4,
      }).filter(() => rnd() > 0.05);
      const sizes = series.map(() => 1 + Math.floor(rnd() * 25));
      const { used, mismatches } = compare(series, (b) => sizes[b] ?? 1);
      expect(mismatches).toEqual([]);
      expect(used.none).toBeGreaterThan(0);
      expect(used.short).toBeGreaterThan(used.none);
    }
  });

  it('gives the same verdicts for any mix of events, lone steps, drifts, gaps and batch sizes (property)', () => {
    const metric = fc.constantFrom(...DETECTOR_METRICS);
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000 }),
          event: fc.record({
            from: fc.integer({ min: 13 * 60, max: 15 * 60 }),
            minutes: fc.integer({ min: 5, max: 60 }),
          }),
          step: fc.record({
            metric,
            by: fc.constantFrom(-0.4, -0.2, 0.2, 0.4, 30, -30),
            from: fc.integer({ min: 13 * 60, max: 15 * 60 }),
            minutes: fc.integer({ min: 10, max: 90 }),
          }),
          drift: fc.record({
            metric,
            perMinute: fc.constantFrom(-0.01, 0.005, 0.5),
            from: fc.integer({ min: 13 * 60, max: 15 * 60 }),
          }),
          gap: fc.record({
            from: fc.integer({ min: 12 * 60, max: 15 * 60 }),
            minutes: fc.integer({ min: 1, max: 40 }),
          }),
          batches: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        }),
        ({ seed, event, step, drift, gap, batches }) => {
          const series = waterSeries({
            minutes: 16 * 60,
            seed,
            shifts: [...phOrpShift(event.from, event.minutes), step],
            drift,
            emptyRows: (i) => i >= gap.from && i < gap.from + gap.minutes,
          });
          const { mismatches } = compare(series, (b) => batches[b % batches.length] ?? 1);
          expect(mismatches).toEqual([]);
        },
      ),
      { numRuns: 8, seed: 20261130 },
    );
  });

  it("reads what covers the windows at a device's own interval, and watches only devices that report often enough", () => {
    expect(detectorCanWatch(60_000)).toBe(true);
    expect(detectorCanWatch(10_000)).toBe(true);
    expect(detectorCanWatch(120_000)).toBe(true);
    // Fewer than 30 samples an hour: never learns, stays commissioning.
    expect(detectorCanWatch(121_000)).toBe(false);
    expect(detectorCanWatch(300_000)).toBe(false);
    expect(detectorCanWatch(0)).toBe(false);
    // A two-minute device: every other minute of a series, one sample per batch.
    const series = waterSeries({
      minutes: 30 * 60,
      seed: 5,
      shifts: [{ metric: 'ph', by: 0.3, from: 26 * 60, minutes: 90 }, ...phOrpShift(28 * 60, 30)],
    }).filter((_, i) => i % 2 === 0);
    const { used, mismatches, events, faults } = compare(series, () => 1, FAST, 120_000);
    expect(mismatches).toEqual([]);
    // At two minutes a sample: a quiet verdict's 65 minutes (35), an open episode's 80 (42), the hour's learning (65).
    expect([...used.firstSizes].sort((a, b) => a - b)).toEqual([35, 42, 65]);
    expect(used.quiet).toBeGreaterThan(5 * used.escalated);
    expect(events + faults).toBeGreaterThan(0);
    // A device reporting faster than once a minute reads the full size at once: the shorter read never covers its windows.
    const commissioned = { ...runDetector(undefined, [], waterSeries({ minutes: 90 })).state };
    const state = {
      ...commissioned,
      hours: commissioned.hours.map(() => DETECTOR_DEFAULTS.commissioningHours),
      maxima: new Array(DETECTOR_DEFAULTS.minMaxima).fill(10),
    };
    expect(detectorHistoryPlan(state, state.hour * 3_600_000, state.hour * 3_600_000, 10_000)).toEqual({
      first: 82,
      full: 82,
    });
  });
});
