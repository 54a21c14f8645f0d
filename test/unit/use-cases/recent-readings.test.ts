import { describe, expect, it } from 'vitest';
import { toReadingItem } from '../../../functions/core/reading-item';
import type { ReadingQuery } from '../../../functions/ports/reading-store';
import { LATEST_SORTABLE_TS, RecentReadings } from '../../../functions/use-cases/recent-readings';
import { InMemoryReadingStore } from '../../helpers/fakes';
import { binDevice, T0, waterMetrics } from '../../helpers/telemetry';

const device = binDevice('bin-1');

/** A store holding samples at `tss` (seq = index), counting the queries it answers. */
function store(tss: number[]) {
  const readings = new InMemoryReadingStore();
  tss.forEach((ts, seq) => {
    const item = toReadingItem(device.id, { ts, seq, m: waterMetrics(seq) }, ts, 400);
    readings.items.set(`${item.deviceId}|${item.sk}`, item);
  });
  const queries: ReadingQuery[] = [];
  const query = readings.query.bind(readings);
  readings.query = async (q) => {
    queries.push(q);
    return query(q);
  };
  return { readings, queries };
}

/** What the stages' own Queries return: the reference the shared read must equal. */
async function exact(readings: InMemoryReadingStore, lastTs: number, before: number, after: number) {
  return {
    before: (
      await readings.query({ deviceId: device.id, from: 0, to: lastTs, limit: before, newestFirst: true })
    ).items,
    after: (await readings.query({ deviceId: device.id, from: lastTs, to: LATEST_SORTABLE_TS, limit: after }))
      .items,
  };
}

const seconds = (n: number, from = 0) => Array.from({ length: n }, (_, i) => T0 + (from + i) * 1000);

describe('RecentReadings', () => {
  it('answers every stage from one Query when nothing newer than the new samples is stored', async () => {
    const { readings, queries } = store(seconds(40));
    const lastTs = T0 + 39_000;
    const recent = new RecentReadings(readings, () => ({ before: 13, after: 3 }));

    const got = {
      alarm: await recent.before(device, 1, lastTs, 11),
      before: await recent.before(device, 1, lastTs, 13),
      after: await recent.after(device, 1, lastTs, 3),
    };

    expect(queries).toHaveLength(1);
    const want = await exact(readings, lastTs, 13, 3);
    expect(got.before).toEqual(want.before);
    expect(got.alarm).toEqual(want.before.slice(0, 11));
    expect(got.after).toEqual(want.after);
  });

  it('falls back to the exact Query when late samples have newer readings stored after them', async () => {
    const { readings, queries } = store(seconds(40));
    // The new sample is the one at 10 s: 29 newer readings are already stored.
    const lastTs = T0 + 10_000;
    const recent = new RecentReadings(readings, () => ({ before: 13, after: 3 }));

    const got = {
      before: await recent.before(device, 1, lastTs, 13),
      after: await recent.after(device, 1, lastTs, 3),
    };

    // The shared read, then each stage's own.
    expect(queries).toHaveLength(3);
    expect(got).toEqual(await exact(readings, lastTs, 13, 3));
    expect(got.after.map((i) => i.ts)).toEqual([T0 + 10_000, T0 + 11_000, T0 + 12_000]);
  });

  it('uses a short page as the whole series, however few readings there are', async () => {
    const { readings, queries } = store(seconds(3));
    const lastTs = T0 + 1_000;
    const recent = new RecentReadings(readings, () => ({ before: 13, after: 3 }));

    const got = {
      before: await recent.before(device, 1, lastTs, 13),
      after: await recent.after(device, 1, lastTs, 3),
    };

    expect(queries).toHaveLength(1);
    expect(got).toEqual(await exact(readings, lastTs, 13, 3));
  });

  it('lets each stage read on its own when the shared read fails', async () => {
    const { readings, queries } = store(seconds(20));
    let fail = true;
    const query = readings.query.bind(readings);
    readings.query = async (q) => {
      if (fail) {
        fail = false;
        throw new Error('ThrottlingException');
      }
      return query(q);
    };
    const lastTs = T0 + 19_000;
    const recent = new RecentReadings(readings, () => ({ before: 13, after: 3 }));

    const before = await recent.before(device, 1, lastTs, 13);

    // The failed shared read, then the stage's own Query (the only one that reached the store).
    expect(queries).toEqual([expect.objectContaining({ from: 0, to: lastTs, limit: 13, newestFirst: true })]);
    expect(before).toEqual((await exact(readings, lastTs, 13, 3)).before);
  });
});
