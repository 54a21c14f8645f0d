import { detectorInputOf } from '../core/conditions/detector';
import type { EvalSample } from '../core/conditions/types';
import { detectorCanWatch, detectorHistoryPlan } from '../core/detector-history';
import {
  DETECTOR_DEFAULTS,
  type DetectorInput,
  type DetectorVerdict,
  runDetector,
} from '../core/event-detector';
import type { Device } from '../core/registry';
import type { DetectorStates, StoredDetectorState } from '../ports/detector-states';
import type { ReadingStore } from '../ports/reading-store';
import { logger } from '../shared/logger';
import { type RecentReadings, readingsBefore } from './recent-readings';

/** Conditional writes tried before giving up (each loss means another invocation wrote the state in between). */
const SAVE_ATTEMPTS = 3;

/** Whether the event detector watches a device: water devices reporting often enough to learn from (`detectorCanWatch`). */
const detectorWatches = (device: Device) =>
  device.kind === 'water' && detectorCanWatch(device.intervalS * 1000);

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
    // What has been read so far: `history` (oldest first) holds every stored sample after `completeAfter`.
    let read: History = { need: 0, inputs: [], completeAfter: (sorted[0] as EvalSample).ts };
    for (let attempt = 1; ; attempt++) {
      // The state says how much history this batch needs (nothing while the device commissions, more where it
      // learns); a quiet device in service reads the shorter part first and the rest only when a verdict needs it.
      const plan = detectorHistoryPlan(
        stored?.state,
        (sorted[0] as EvalSample).ts,
        newest,
        device.intervalS * 1000,
      );
      let run: ReturnType<typeof runDetector> | undefined;
      for (const need of plan.first < plan.full ? [plan.first, plan.full] : [plan.full]) {
        if (need > read.need) read = await this.history(device, sorted, recent, need);
        const cut = read.inputs.length > need;
        const history = cut ? read.inputs.slice(read.inputs.length - need) : read.inputs;
        // Only the first, shorter read is checked: the full one is what the detector's verdicts are defined on. A read
        // cut down (a retry on a state that asks for less than an earlier attempt read) is whole after its oldest
        // sample kept, or after the first new one when it keeps none.
        const completeAfter =
          need === plan.full
            ? Number.NEGATIVE_INFINITY
            : cut
              ? (history[0]?.ts ?? (sorted[0] as EvalSample).ts)
              : read.completeAfter;
        run = runDetector(stored?.state, history, inputs, DETECTOR_DEFAULTS, completeAfter);
        if (!run.short) break;
      }
      if (run === undefined) throw new Error('unreachable: a history plan has at least one read');
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

  /**
   * The `need` stored samples just before the first new one, oldest first (shared with the batch's other stages), and
   * where they may be incomplete: nowhere when the read came back short of its limit (that is all there is), else at
   * the oldest kept (more may be stored at or before it).
   */
  private async history(
    device: Device,
    sorted: readonly EvalSample[],
    recent: RecentReadings | undefined,
    need: number,
  ): Promise<History> {
    const first = sorted[0] as EvalSample;
    const last = sorted[sorted.length - 1] as EvalSample;
    const limit = need + sorted.length;
    const items = await readingsBefore(this.deps.readings, recent, device, sorted.length, last.ts, limit);
    // Newest first; the new samples are all at or after the first of them, so what is before it is stored history.
    const before = items.filter((i) => i.ts < first.ts || (i.ts === first.ts && i.seq < first.seq));
    const kept = before.slice(0, need);
    const all = items.length < limit && kept.length === before.length;
    const oldest = kept[kept.length - 1];
    return {
      need,
      inputs: kept.reverse().map(detectorInputOf),
      completeAfter: all ? Number.NEGATIVE_INFINITY : (oldest?.ts ?? first.ts),
    };
  }
}

/** A history read: the samples (oldest first) and the time after which they are every stored sample. */
interface History {
  need: number;
  inputs: DetectorInput[];
  completeAfter: number;
}
