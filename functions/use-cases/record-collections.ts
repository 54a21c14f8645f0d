import { type BinDevice, binSettingsFor, detectCollections, fillSeries } from '../core/bins';
import type { EvalSample } from '../core/conditions/types';
import { fromReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import type { BinEventStore, CollectionEvent } from '../ports/bin-event-store';
import type { ReadingStore } from '../ports/reading-store';
import { mapWithConcurrency } from '../shared/concurrency';
import { logger } from '../shared/logger';
import type { StoredMessage } from './ingest-telemetry';
import { type ReadingsNeed, RecentReadings } from './recent-readings';

export interface CollectionStageDeps {
  readings: ReadingStore;
  binEvents: BinEventStore;
}

/** Stored readings read before a bin's new samples: enough to find the last valid one before them. */
const HISTORY = 12;
const DEVICE_CONCURRENCY = 16;
const key = (s: { ts: number; seq: number }) => `${s.ts}#${s.seq}`;
const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Stored readings collection detection reads around a bin's `newSamples` new samples: the readings up to the last
 * new one (enough to find the last valid reading before them) and the first ones after it.
 */
export function collectionsNeed(device: Device, newSamples: number): ReadingsNeed {
  return device.kind === 'bin'
    ? { before: newSamples + HISTORY, after: newSamples + 2 }
    : { before: 0, after: 0 };
}

/**
 * Collections among a bin's new samples: the new samples are placed between the stored readings just before them
 * and the first one after them (late data lands inside the series), and every drop that involves a new reading is
 * a collection event. Already stored samples are read, never written.
 */
async function newCollections(
  device: BinDevice,
  samples: readonly EvalSample[],
  readings: ReadingStore,
  recent: RecentReadings = new RecentReadings(readings, collectionsNeed),
): Promise<CollectionEvent[]> {
  if (samples.length === 0) return [];
  const sorted = [...samples].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const last = sorted.at(-1) as EvalSample;
  const need = collectionsNeed(device, sorted.length);
  const [before, after] = await Promise.all([
    recent.before(device, sorted.length, last.ts, need.before),
    recent.after(device, sorted.length, last.ts, need.after),
  ]);
  const timeline = new Map<string, EvalSample>();
  for (const item of [...before, ...after]) {
    const s = fromReadingItem(item);
    timeline.set(key(s), s);
  }
  for (const s of sorted) timeline.set(key(s), s);
  const isNew = new Set(sorted.map(key));
  const receivedAt = new Map([...timeline.values()].map((s) => [key(s), s.receivedAt]));
  const series = fillSeries([...timeline.values()], device.depthMm);
  // A drop between two stored readings was recorded when the later of them arrived.
  return detectCollections(series, binSettingsFor(device))
    .filter((c) => isNew.has(key(c)) || isNew.has(key({ ts: c.fromTs, seq: c.fromSeq })))
    .map((c) => ({
      binId: device.id,
      ts: c.ts,
      seq: c.seq,
      township: device.township,
      siteId: device.siteId,
      wasteStream: device.wasteStream,
      fromPct: round1(c.fromPct),
      toPct: round1(c.toPct),
      fromTs: c.fromTs,
      receivedAt: receivedAt.get(key(c)) ?? c.ts,
    }));
}

/**
 * The ingest stage that records bin collections: one bin-events item per collection, keyed by bin and the emptied
 * reading's time, so a redelivered batch writes the same item again. A bin whose events could not be written has
 * its messages retried.
 */
export function recordCollectionsStage(deps: CollectionStageDeps) {
  return async (stored: StoredMessage[], recent?: RecentReadings): Promise<Set<string>> => {
    const byBin = new Map<string, { device: BinDevice; messageIds: string[]; samples: EvalSample[] }>();
    for (const s of stored) {
      if (s.device.kind !== 'bin') continue;
      const entry = byBin.get(s.device.id) ?? { device: s.device, messageIds: [], samples: [] };
      entry.messageIds.push(s.messageId);
      for (const sample of s.message.samples) entry.samples.push({ ...sample, receivedAt: s.receivedAt });
      byBin.set(s.device.id, entry);
    }
    const failed = new Set<string>();
    await mapWithConcurrency(
      [...byBin.values()],
      DEVICE_CONCURRENCY,
      async ({ device, messageIds, samples }) => {
        try {
          const events = await newCollections(device, samples, deps.readings, recent);
          const unwritten = events.length ? await deps.binEvents.putCollections(events) : [];
          if (unwritten.length > 0) throw new Error(`${unwritten.length} collection events unwritten`);
          for (const e of events)
            logger.info('bin collected', {
              deviceId: device.id,
              ts: e.ts,
              fromPct: e.fromPct,
              toPct: e.toPct,
            });
        } catch (err) {
          logger.error('collection detection failed; messages will be retried', {
            deviceId: device.id,
            error: err as Error,
          });
          for (const id of messageIds) failed.add(id);
        }
      },
    );
    return failed;
  };
}
