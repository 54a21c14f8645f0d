import type { ReadingItem } from '../core/reading-item';
import { readingSortKey } from '../core/reading-item';
import type { Device } from '../core/registry';
import type { ReadingStore } from '../ports/reading-store';

/** Above every sample time the contract accepts: "up to now and beyond". */
export const LATEST_SORTABLE_TS = 9_999_999_999_999;

/** Stored readings a stage needs around a device's new samples: newest-first before, oldest-first after. */
export interface ReadingsNeed {
  before: number;
  after: number;
}

/**
 * The stored readings around a device's new samples, read once per ingest batch for all after-store stages.
 *
 * Alarm evaluation wants the newest readings up to its last new sample; bin collection detection wants those and the
 * first ones after it. Asked separately that is two or three Queries per device and batch. Here one newest-first
 * Query with room for every stage's need answers them all whenever nothing newer than the new samples is stored
 * (live data, the usual case); each answer is checked to be exactly what the stage's own Query would have returned,
 * and when it cannot be (late data with newer readings already stored, or the shared read failed) the stage's own
 * Query runs instead. Build one per batch: it keeps what it read.
 */
export class RecentReadings {
  private readonly shared = new Map<
    string,
    Promise<{ items: ReadingItem[]; complete: boolean } | undefined>
  >();

  /**
   * @param plan what all stages together need for a device with `newSamples` new samples; the shared Query reads
   *   `before + after` items.
   */
  constructor(
    private readonly readings: ReadingStore,
    private readonly plan: (device: Device, newSamples: number) => ReadingsNeed,
  ) {}

  /**
   * The newest `limit` readings with a time at or before `lastTs`, newest first. The first stage to ask sizes the
   * shared read to at least its `limit` (a stage that learns in this batch may need more than the plan's least).
   */
  async before(device: Device, newSamples: number, lastTs: number, limit: number): Promise<ReadingItem[]> {
    const bound = readingSortKey(lastTs, Number.MAX_SAFE_INTEGER);
    const read = await this.read(device, newSamples, lastTs, limit);
    if (read) {
      const items = read.items.filter((i) => i.sk <= bound);
      // The shared page is a prefix of the device's readings, newest first: its part up to `lastTs` is that
      // Query's prefix, enough when it holds `limit` items or the page holds every reading.
      if (items.length >= limit || read.complete) return items.slice(0, limit);
    }
    return (await this.readings.query({ deviceId: device.id, from: 0, to: lastTs, limit, newestFirst: true }))
      .items;
  }

  /** The oldest `limit` readings with a time at or after `fromTs`, oldest first. */
  async after(device: Device, newSamples: number, fromTs: number, limit: number): Promise<ReadingItem[]> {
    const bound = readingSortKey(fromTs, 0);
    const read = await this.read(device, newSamples, fromTs);
    // Every reading from `fromTs` on is in the page when the page reaches below it (or holds every reading).
    if (read && (read.complete || read.items.some((i) => i.sk < bound))) {
      return read.items
        .filter((i) => i.sk >= bound)
        .reverse()
        .slice(0, limit);
    }
    return (await this.readings.query({ deviceId: device.id, from: fromTs, to: LATEST_SORTABLE_TS, limit }))
      .items;
  }

  private read(device: Device, newSamples: number, lastTs: number, before = 0) {
    const key = `${device.id}|${lastTs}|${newSamples}`;
    let read = this.shared.get(key);
    if (!read) {
      const need = this.plan(device, newSamples);
      const limit = Math.max(1, Math.max(need.before, before) + need.after);
      read = this.readings
        .query({ deviceId: device.id, from: 0, to: LATEST_SORTABLE_TS, limit, newestFirst: true })
        .then(
          (page) => ({ items: page.items, complete: page.items.length < limit }),
          // Each stage then reads on its own, so one failed read is not shared by every stage.
          () => undefined,
        );
      this.shared.set(key, read);
    }
    return read;
  }
}

/**
 * The newest `limit` readings up to `lastTs`, newest first: from the batch's shared read when there is one, else with
 * the stage's own Query (the sweep evaluating again, a caller outside ingest).
 */
export async function readingsBefore(
  readings: ReadingStore,
  recent: RecentReadings | undefined,
  device: Device,
  newSamples: number,
  lastTs: number,
  limit: number,
): Promise<ReadingItem[]> {
  if (recent) return recent.before(device, newSamples, lastTs, limit);
  return (await readings.query({ deviceId: device.id, from: 0, to: lastTs, limit, newestFirst: true })).items;
}
