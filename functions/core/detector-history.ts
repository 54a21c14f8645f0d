import { HOUR_MS } from '../shared/time';
import {
  DETECTOR_DEFAULTS,
  DETECTOR_METRICS,
  type DetectorSettings,
  type DetectorState,
  detectorHistoryNeed,
  detectorLearning,
  runDetector,
} from './event-detector';

/** The state version the detector writes now: a state of another version is reset, i.e. starts afresh. */
const CURRENT_VERSION = runDetector(undefined, [], [{ ts: 0, values: {} }]).state.v;

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
 * Stored samples the detector needs before a batch whose newest sample is at `newestTs`, given the state it runs on:
 * the full `detectorHistoryNeed()` (127 at one a minute) only when the batch reaches a new hour of the state's clock,
 * where the detector learns from the hour just ended, or when there is no usable state; none while the state is
 * still commissioning with nothing open (its verdicts then say only `learning`, whatever came before); otherwise the
 * shorter `detectorVerdictNeed()` (82). Same verdicts and state either way; most batches of a live device take the
 * short one, every batch of a commissioning device between hour boundaries reads nothing.
 */
export function detectorHistoryNeedFor(
  state: DetectorState | undefined,
  newestTs: number,
  settings: DetectorSettings = DETECTOR_DEFAULTS,
): number {
  const usable =
    state !== undefined &&
    state.v === CURRENT_VERSION &&
    Number.isFinite(state.hour) &&
    Array.isArray(state.hours) &&
    state.hours.length === DETECTOR_METRICS.length &&
    Array.isArray(state.scale) &&
    state.scale.length === DETECTOR_METRICS.length &&
    Array.isArray(state.maxima);
  if (!usable || Math.floor(newestTs / HOUR_MS) > state.hour) return detectorHistoryNeed(settings);
  const open = state.event !== null || Object.keys(state.faults ?? {}).length > 0;
  if (!open && detectorLearning(state, settings)) return 0;
  return Math.min(detectorVerdictNeed(settings), detectorHistoryNeed(settings));
}
