import { HOUR_MS } from '../shared/time';
import {
  DETECTOR_DEFAULTS,
  type DetectorSettings,
  type DetectorState,
  detectorHistoryNeed,
  detectorLearning,
  usableState,
} from './event-detector';

/**
 * Stored samples the detector's verdicts read before a new sample when it does not learn: the fault-confirmation
 * window, each of its samples with its reference and smoothing windows (the event's hold and confirmation windows are
 * shorter). Mirrors how `runDetector` reads its history; `test/unit/core/detector-history.test.ts` holds the two to
 * the same verdicts.
 */
export function detectorVerdictNeed(settings: DetectorSettings = DETECTOR_DEFAULTS): number {
  const span = settings.faultConfirmMs + settings.referenceMs + settings.smoothMs;
  return Math.ceil(span / settings.sampleIntervalMs) + 2;
}

/**
 * Stored samples a quiet verdict reads: the new sample's own reference and smoothing windows. Only a sample where a
 * channel could become a fault looks back through the fault-confirmation window, and only an open event through its
 * hold.
 */
export function detectorQuietNeed(settings: DetectorSettings = DETECTOR_DEFAULTS): number {
  return Math.ceil((settings.referenceMs + settings.smoothMs) / settings.sampleIntervalMs) + 2;
}

/**
 * How much history a batch reads: `first` stored samples, and all of `full` only when the run on `first` comes back
 * `short` (a window reached past them; `runDetector`'s `historyCompleteAfter`). Same verdicts and state as with the
 * full history either way (`test/unit/core/detector-history.test.ts`).
 */
export interface DetectorHistoryPlan {
  first: number;
  full: number;
}

/**
 * Whether the detector can watch a device reporting every `intervalMs`: only when an hour holds the samples it
 * learns from (`minHourSamples`, 30) and a reference window the readings it needs (`minReference`, 20), i.e. at least
 * one sample every 2 minutes. A device reporting less often would stay commissioning for good, its state rewritten
 * every hour for nothing; the limit, early-warning, stuck and offline conditions still watch it.
 */
export function detectorCanWatch(
  intervalMs: number,
  settings: DetectorSettings = DETECTOR_DEFAULTS,
): boolean {
  return (
    intervalMs > 0 &&
    Math.floor(HOUR_MS / intervalMs) >= settings.minHourSamples &&
    Math.floor(settings.referenceMs / intervalMs) >= settings.minReference
  );
}

/**
 * The history plan of a batch whose samples run from `firstTs` to `newestTs`, for a device reporting every
 * `intervalMs`, given the state it runs on:
 * - a batch that reaches a new hour of the state's clock learns from the hour just ended: what covers that hour's
 *   samples before `firstTs` with their reference windows first (at most the whole `detectorHistoryNeed()`, 127 at
 *   one a minute), all 127 if that comes back short;
 * - no usable state (a new device, a state of another version): nothing first (a fresh state commissions), all 127 if
 *   the batch reaches into a next hour;
 * - an open event or fault: `detectorVerdictNeed()` (82) (its hold or confirmation looks back anyway);
 * - commissioning with nothing open: nothing first (its verdicts say only `learning`, whatever came before);
 * - in service with nothing open: `detectorQuietNeed()` (67) first, 82 only for a batch where a channel could become
 *   a fault.
 * The first sizes count samples at the device's own interval when it reports less often than `sampleIntervalMs`
 * (never more than at one a minute); one reporting more often reads the full size at once (the shorter read would
 * never cover its windows). Most batches of a live device read 67, every batch of a commissioning device between hour
 * boundaries nothing.
 */
export function detectorHistoryPlan(
  state: DetectorState | undefined,
  firstTs: number,
  newestTs: number,
  intervalMs: number = DETECTOR_DEFAULTS.sampleIntervalMs,
  settings: DetectorSettings = DETECTOR_DEFAULTS,
): DetectorHistoryPlan {
  const every = Math.max(intervalMs, settings.sampleIntervalMs);
  // Samples covering `spanMs` before the first new one at the device's interval, never more than `n`.
  const covering = (spanMs: number, n: number) =>
    intervalMs < settings.sampleIntervalMs ? n : Math.min(n, Math.ceil(Math.max(0, spanMs) / every) + 2);
  const whole = detectorHistoryNeed(settings);
  // No usable state (none yet, another version, not whole, no clock): a fresh one commissions and looks at nothing
  // before the batch, unless the batch reaches into a next hour and learns.
  if (!usableState(state) || !Number.isFinite(state.hour)) return { first: 0, full: whole };
  const windows = settings.referenceMs + settings.smoothMs;
  if (Math.floor(newestTs / HOUR_MS) > state.hour) {
    // The earliest hour learned is the state's own (or a later one after a gap): its samples' windows reach back
    // `windows` before its start. The batch's own verdicts reach back `windows` before `firstTs`.
    const reach = Math.max(firstTs - (state.hour * HOUR_MS - windows), windows);
    return { first: covering(reach, whole), full: whole };
  }
  const full = Math.min(detectorVerdictNeed(settings), whole);
  const open = state.event !== null || Object.keys(state.faults ?? {}).length > 0;
  if (open) return { first: covering(settings.faultConfirmMs + windows, full), full };
  if (detectorLearning(state, settings)) return { first: 0, full };
  if (intervalMs < settings.sampleIntervalMs) return { first: full, full };
  return { first: covering(windows, Math.min(detectorQuietNeed(settings), full)), full };
}
