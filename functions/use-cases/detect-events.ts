import { detectorInputOf } from '../core/conditions/detector';
import type { EvalSample } from '../core/conditions/types';
import { detectorHistoryNeedFor } from '../core/detector-history';
import { type DetectorInput, type DetectorVerdict, runDetector } from '../core/event-detector';
import type { Device } from '../core/registry';
import type { DetectorStates, StoredDetectorState } from '../ports/detector-states';
import type { ReadingStore } from '../ports/reading-store';
import { logger } from '../shared/logger';
import { type RecentReadings, readingsBefore } from './recent-readings';

/** Conditional writes tried before giving up (each loss means another invocation wrote the state in between). */
const SAVE_ATTEMPTS = 3;

/** Whether the event detector watches a device: water devices only. */
const detectorWatches = (device: Device) => device.kind === 'water';

const keyOf = (s: { ts: number; seq: number }) => `${s.ts}#${s.seq}`;

/**
 * Runs the event detector over a device's new samples in the ingest path: its history from the batch's shared
 * readings, its state read once per batch (`prefetch`) and written only when it changed, with a conditional write on
 * the revision read. Losing that race re-reads the state and reruns the detector, which is deterministic, so the
 * verdicts are those of the state actually stored.
 */
export class EventDetection {
  constructor(private readonly deps: { states: DetectorStates; readings: ReadingStore }) {}

  /** The stored states of the devices the detector watches, in one read; undefined when that read fails. */
  async prefetch(devices: readonly Device[]): Promise<Map<string, StoredDetectorState> | undefined> {
    const ids = devices.filter(detectorWatches).map((d) => d.id);
    if (ids.length === 0) return new Map();
    try {
      return await this.deps.states.detectorStates(ids);
    } catch (err) {
      logger.warn('batched detector state read failed; reading per device', { error: err as Error });
      return undefined;
    }
  }

  /**
   * The verdict at each new sample (key `<ts>#<seq>`), after storing the state they leave. `prefetched` is the
   * batch's read of the states (a device absent from it has none); undefined reads this device's own.
   */
  async verdicts(
    device: Device,
    newSamples: readonly EvalSample[],
    prefetched: Map<string, StoredDetectorState> | undefined,
    recent: RecentReadings | undefined,
  ): Promise<Map<string, DetectorVerdict>> {
    const out = new Map<string, DetectorVerdict>();
    if (!detectorWatches(device) || newSamples.length === 0) return out;
    const sorted = [...newSamples].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const newest = (sorted[sorted.length - 1] as EvalSample).ts;
    const inputs = sorted.map(detectorInputOf);
    let stored = prefetched ? prefetched.get(device.id) : await this.read(device.id);
    // A commissioning device between hour boundaries needs no history (need 0): no read at all.
    let history: DetectorInput[] = [];
    let read = 0;
    for (let attempt = 1; ; attempt++) {
      // The state says whether this batch learns, and so how much history it needs (the same verdicts either way).
      const need = detectorHistoryNeedFor(stored?.state, newest);
      if (need > read) {
        history = await this.history(device, sorted, recent, need);
        read = need;
      }
      const run = runDetector(stored?.state, history.slice(Math.max(0, history.length - need)), inputs);
      if (!run.changed || (await this.deps.states.saveDetectorState(device.id, run.state, stored?.rev))) {
        sorted.forEach((s, i) => {
          const v = run.verdicts[i];
          if (v) out.set(keyOf(s), v);
        });
        return out;
      }
      if (attempt >= SAVE_ATTEMPTS)
        throw new Error(`detector state of ${device.id} changed under ${SAVE_ATTEMPTS} attempts to write it`);
      stored = await this.read(device.id);
    }
  }

  private async read(deviceId: string): Promise<StoredDetectorState | undefined> {
    return (await this.deps.states.detectorStates([deviceId])).get(deviceId);
  }

  /** The stored samples just before the first new one, oldest first (shared with the batch's other stages). */
  private async history(
    device: Device,
    sorted: readonly EvalSample[],
    recent: RecentReadings | undefined,
    need: number,
  ): Promise<DetectorInput[]> {
    const first = sorted[0] as EvalSample;
    const last = sorted[sorted.length - 1] as EvalSample;
    const limit = need + sorted.length;
    const items = await readingsBefore(this.deps.readings, recent, device, sorted.length, last.ts, limit);
    const isNew = new Set(sorted.map(keyOf));
    return items
      .filter((i) => !isNew.has(keyOf(i)) && (i.ts < first.ts || (i.ts === first.ts && i.seq < first.seq)))
      .slice(0, need)
      .reverse()
      .map(detectorInputOf);
  }
}
