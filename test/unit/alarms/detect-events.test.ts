import { describe, expect, it } from 'vitest';
import { detectorInputOf } from '../../../functions/core/conditions/detector';
import type { EvalSample } from '../../../functions/core/conditions/types';
import { DETECTOR_DEFAULTS, type DetectorState, runDetector } from '../../../functions/core/event-detector';
import { type ReadingItem, toReadingItem } from '../../../functions/core/reading-item';
import type { DetectorStates, StoredDetectorState } from '../../../functions/ports/detector-states';
import type { ReadingQuery, ReadingStore } from '../../../functions/ports/reading-store';
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

  it('does not watch a water device that reports less often than every 2 minutes (it could never learn)', async () => {
    const states = new MemoryStates();
    const detection = new EventDetection({ states, readings: noReadings });
    const slow = waterDevice('wq-slow', { intervalS: 300 });
    await detection.prefetch([slow, waterDevice('wq-1', { intervalS: 120 })]);
    expect(states.reads).toEqual([['wq-1']]);
    expect(await detection.verdicts(slow, samples(2), new Map(), undefined)).toEqual(new Map());
    expect(states.saves).toEqual([]);
  });

  it('in service and quiet reads 67 stored samples, and the 82 a fault check needs only in a batch that needs them', async () => {
    const device = waterDevice('wq-1');
    // A device in service: 50 hours learned at one sample a minute, ten minutes into the next hour.
    const { store, states } = inService(device.id, 50 * 60 + 10);
    const detection = new EventDetection({ states, readings: store });
    const next = (n: number, ph = 0): EvalSample[] =>
      Array.from({ length: n }, () => {
        const i = store.items.length;
        const sample = {
          ts: T0 + i * MINUTE,
          seq: i,
          m: { ...waterMetrics(i), ph: 7.3 + ph },
          receivedAt: T0 + i * MINUTE,
        };
        store.items.push(toReadingItem(device.id, sample, sample.ts, 30));
        return sample;
      });
    // Within the hour, nothing open, nothing moving: the shorter read (67 before the 3 new samples).
    const quiet = next(3);
    await detection.verdicts(device, quiet, await detection.prefetch([device]), undefined);
    expect(store.limits).toEqual([70]);
    // pH alone steps up by 1 and stays (a sensor): at its 16th minute the fault check looks back 15 minutes, each
    // minute with its own reference window, so that batch reads the rest (82 before the new sample).
    store.limits.length = 0;
    let found: { faults: { metric: string }[] } | undefined;
    for (let minute = 0; minute < 20 && !found; minute++) {
      const batch = next(1, 1);
      const out = await detection.verdicts(device, batch, await detection.prefetch([device]), undefined);
      const verdict = out.get(`${batch[0]?.ts}#${batch[0]?.seq}`);
      if (verdict && verdict.faults.length > 0) found = verdict;
    }
    expect(found?.faults.map((f) => f.metric)).toEqual(['ph']);
    // Most batches took the shorter read; the ones where pH could become a fault read again with room for 82.
    expect(store.limits.filter((l) => l === 68).length).toBeGreaterThan(0);
    expect(store.limits.filter((l) => l === 83).length).toBeGreaterThan(0);
    expect(store.limits.every((l) => l === 68 || l === 83)).toBe(true);
    expect(DETECTOR_DEFAULTS.sampleIntervalMs).toBe(MINUTE);
  });
});

describe("EventDetection retrying on another invocation's state", () => {
  it('reruns on a state that asks for less history than the first attempt read (none: it commissions)', async () => {
    const device = waterDevice('wq-1');
    // In service, its hour about to end: the batch reaching the next hour learns, so it reads history first.
    const { store, states } = inService(device.id, 50 * 60 + 50);
    const learned = store.items.length;
    const batch: EvalSample[] = Array.from({ length: 15 }, (_, k) => {
      const i = learned + k;
      const sample = { ts: T0 + i * MINUTE, seq: i, m: waterMetrics(i), receivedAt: T0 + i * MINUTE };
      store.items.push(toReadingItem(device.id, sample, sample.ts, 30));
      return sample;
    });
    // Meanwhile another invocation stored a state that is commissioning and already past this batch's hour: the rerun
    // needs no history at all.
    const theirs = runDetector(undefined, [], [{ ts: (batch.at(-1)?.ts ?? 0) + MINUTE, values: {} }]).state;
    states.race = () => states.stored.set(device.id, { state: theirs, rev: 9 });
    const verdicts = await detection(states, store).verdicts(
      device,
      batch,
      await states.detectorStates([device.id]),
      undefined,
    );
    expect(store.limits[0]).toBeGreaterThan(15);
    expect(verdicts.size).toBe(batch.length);
    expect([...verdicts.values()].every((v) => v.learning)).toBe(true);
    expect(states.saves[0]).toEqual({ deviceId: device.id, rev: 1, ok: false });
  });
});

const detection = (states: DetectorStates, readings: ReadingStore) =>
  new EventDetection({ states, readings });

/**
 * A device in service: `minutes` samples learned at one a minute from T0, stored as readings, and the state they
 * leave (revision 1), past commissioning.
 */
function inService(deviceId: string, minutes: number) {
  const learned = Array.from({ length: minutes }, (_, i) => ({
    ts: T0 + i * MINUTE,
    seq: i,
    m: waterMetrics(i),
  }));
  const { state, verdicts } = runDetector(undefined, [], learned.map(detectorInputOf));
  expect(verdicts.at(-1)?.learning).toBe(false);
  const store = new MemoryReadings(learned.map((x) => toReadingItem(deviceId, x, x.ts, 30)));
  const states = new MemoryStates();
  states.stored.set(deviceId, { state, rev: 1 });
  return { store, states };
}

/** Stored readings in memory, answering the newest-first Query the detector makes; records each Query's limit. */
class MemoryReadings implements ReadingStore {
  readonly limits: number[] = [];
  constructor(readonly items: ReadingItem[]) {}
  async putItems() {
    return [];
  }
  async query(q: ReadingQuery) {
    this.limits.push(q.limit);
    const within = this.items.filter((i) => i.deviceId === q.deviceId && i.ts >= q.from && i.ts <= q.to);
    within.sort((a, b) => (a.sk < b.sk ? -1 : 1));
    if (q.newestFirst) within.reverse();
    return { items: within.slice(0, q.limit) };
  }
  async latest() {
    return undefined;
  }
}
