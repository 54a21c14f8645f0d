import { describe, expect, it } from 'vitest';
import { detectorInputOf } from '../../../functions/core/conditions/detector';
import type { EvalSample } from '../../../functions/core/conditions/types';
import { type DetectorState, runDetector } from '../../../functions/core/event-detector';
import type { DetectorStates, StoredDetectorState } from '../../../functions/ports/detector-states';
import type { ReadingStore } from '../../../functions/ports/reading-store';
import { EventDetection } from '../../../functions/use-cases/detect-events';
import { binDevice, MINUTE, T0, waterDevice, waterMetrics } from '../../helpers/telemetry';

/** Detector states in memory with revisions, as the alarms table keeps them; `race` lets another writer in first. */
class MemoryStates implements DetectorStates {
  readonly stored = new Map<string, StoredDetectorState>();
  readonly reads: string[][] = [];
  readonly saves: { deviceId: string; rev: number | undefined; ok: boolean }[] = [];
  race?: () => void;

  async detectorStates(ids: readonly string[]) {
    this.reads.push([...ids]);
    const out = new Map<string, StoredDetectorState>();
    for (const id of ids) {
      const found = this.stored.get(id);
      if (found) out.set(id, structuredClone(found));
    }
    return out;
  }

  async saveDetectorState(deviceId: string, state: DetectorState, rev: number | undefined) {
    this.race?.();
    this.race = undefined;
    const current = this.stored.get(deviceId)?.rev;
    const ok = current === rev;
    if (ok) this.stored.set(deviceId, { state: structuredClone(state), rev: (rev ?? 0) + 1 });
    this.saves.push({ deviceId, rev, ok });
    return ok;
  }
}

const noReadings: ReadingStore = {
  putItems: async () => [],
  query: async () => ({ items: [] }),
  latest: async () => undefined,
};

const samples = (n: number, from = T0): EvalSample[] =>
  Array.from({ length: n }, (_, i) => ({
    ts: from + i * MINUTE,
    seq: i,
    m: waterMetrics(i),
    receivedAt: from,
  }));

describe('EventDetection (the detector state around the detector)', () => {
  it('writes a new device state once, with a verdict for every new sample', async () => {
    const states = new MemoryStates();
    const detection = new EventDetection({ states, readings: noReadings });
    const batch = samples(5);
    const verdicts = await detection.verdicts(waterDevice('wq-1'), batch, new Map(), undefined);
    expect([...verdicts.keys()]).toEqual(batch.map((s) => `${s.ts}#${s.seq}`));
    expect(states.saves).toEqual([{ deviceId: 'wq-1', rev: undefined, ok: true }]);
    expect(states.reads).toEqual([]);
  });

  it('on losing the conditional write to another invocation, reads the state again and reruns on it', async () => {
    const states = new MemoryStates();
    const detection = new EventDetection({ states, readings: noReadings });
    const device = waterDevice('wq-1');
    // Another invocation stored the state its own samples left, just before this one writes.
    const theirs = runDetector(undefined, [], samples(1, T0 - MINUTE).map(detectorInputOf)).state;
    states.race = () => states.stored.set(device.id, { state: theirs, rev: 7 });
    const verdicts = await detection.verdicts(device, samples(3), new Map(), undefined);
    expect(verdicts.size).toBe(3);
    expect(states.saves[0]).toEqual({ deviceId: device.id, rev: undefined, ok: false });
    expect(states.reads).toEqual([[device.id]]);
    // Whatever the rerun decided, it never wrote over the other invocation's state without having read it.
    expect(states.saves.slice(1).every((s) => s.ok && s.rev === 7)).toBe(true);
    expect(states.stored.get(device.id)?.rev).toBeGreaterThanOrEqual(7);
  });

  it('gives up after repeated conflicts, so the stage leaves a pending evaluation instead of guessing', async () => {
    const states = new MemoryStates();
    states.saveDetectorState = async () => false;
    const detection = new EventDetection({ states, readings: noReadings });
    await expect(detection.verdicts(waterDevice('wq-1'), samples(2), new Map(), undefined)).rejects.toThrow(
      /changed under 3 attempts/,
    );
  });

  it('watches water devices only, and reads the states of a batch in one call', async () => {
    const states = new MemoryStates();
    const detection = new EventDetection({ states, readings: noReadings });
    await detection.prefetch([waterDevice('wq-1'), binDevice('bin-1'), waterDevice('wq-2')]);
    expect(states.reads).toEqual([['wq-1', 'wq-2']]);
    expect(await detection.verdicts(binDevice('bin-1'), samples(2), new Map(), undefined)).toEqual(new Map());
  });
});
