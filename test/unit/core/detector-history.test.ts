import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../device-sim/random';
import { detectorHistoryNeedFor, detectorVerdictNeed } from '../../../functions/core/detector-history';
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
 * and once with the history `detectorHistoryNeedFor` asks for. Returns how often each size was used and every
 * mismatch (there must be none).
 */
function compare(samples: readonly DetectorInput[], sizes: (batch: number) => number, settings = FAST) {
  const full = detectorHistoryNeed(settings);
  let stored: DetectorState | undefined;
  const used = { full: 0, short: 0, none: 0 };
  const mismatches: string[] = [];
  let events = 0;
  let faults = 0;
  for (let i = 0, b = 0; i < samples.length; b++) {
    const batch = samples.slice(i, i + sizes(b));
    const newest = (batch[batch.length - 1] as DetectorInput).ts;
    const need = detectorHistoryNeedFor(stored, newest, settings);
    if (need === full) used.full++;
    else used.short++;
    // Batches that read nothing at all (commissioning between hour boundaries), among the short ones.
    if (need === 0) used.none++;
    const a = runDetector(stored, samples.slice(Math.max(0, i - full), i), batch, settings);
    const s = runDetector(stored, samples.slice(Math.max(0, i - need), i), batch, settings);
    if (JSON.stringify(a) !== JSON.stringify(s))
      mismatches.push(`batch ${b} at sample ${i} (history ${need})`);
    events += a.verdicts.filter((v) => v.event).length;
    faults += a.verdicts.filter((v) => v.faults.length > 0).length;
    if (a.changed) stored = JSON.parse(JSON.stringify(a.state)) as DetectorState;
    i += batch.length;
  }
  return { used, mismatches, events, faults };
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
    expect(detectorHistoryNeedFor(state, hourStart + 59 * 60_000)).toBe(82);
    expect(detectorHistoryNeedFor(state, hourStart + 60 * 60_000)).toBe(127);
    expect(detectorHistoryNeedFor(undefined, hourStart)).toBe(127);
    expect(detectorHistoryNeedFor({ ...state, v: state.v + 1 }, hourStart)).toBe(127);
    // Commissioning, a batch within the hour reads nothing (its verdicts say only "learning"); at the boundary it learns.
    expect(detectorHistoryNeedFor(commissioning, hourStart + 59 * 60_000)).toBe(0);
    expect(detectorHistoryNeedFor(commissioning, hourStart + 60 * 60_000)).toBe(127);
    // A state that is not whole is read as none.
    expect(detectorHistoryNeedFor({ ...state, scale: [] }, hourStart)).toBe(127);
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
});
