import '../../helpers/quiet-logs';
import { describe, expect, it, vi } from 'vitest';
import { chinaDayStart } from '../../../functions/core/china-calendar';
import { toReadingItem } from '../../../functions/core/reading-item';
import { hourStart, lookbackFor, rollupDay, rollupHour, sameContent } from '../../../functions/core/rollup';
import type { RollupItem } from '../../../functions/core/rollup-types';
import type { Sample } from '../../../functions/core/telemetry';
import { logger } from '../../../functions/shared/logger';
import type { StoredMessage } from '../../../functions/use-cases/ingest-telemetry';
import { markTouchedHoursStage } from '../../../functions/use-cases/mark-touched-hours';
import { type RollupJobDeps, runRollupJob } from '../../../functions/use-cases/rollup-job';
import { InMemoryDeviceRegistry } from '../../helpers/fakes';
import { InMemoryRollups, PagedReadingStore } from '../../helpers/rollup-fakes';
import { DAY, HOUR, MINUTE, waterDevice, waterMetrics } from '../../helpers/telemetry';

const START = Date.UTC(2026, 10, 2, 16, 0, 0); // 2026-11-03 00:00 China time
const device = waterDevice('wq-r1', { intervalS: 60 });
const other = waterDevice('wq-r2', { intervalS: 60, siteId: 'plant-r2' });

class Clock {
  constructor(public t: number) {}
  now = () => this.t;
}

function setup() {
  const clock = new Clock(START);
  const readings = new PagedReadingStore();
  const rollups = new InMemoryRollups();
  const registry = new InMemoryDeviceRegistry([device, other]);
  const stage = markTouchedHoursStage({ marks: rollups, clock });
  const deps: RollupJobDeps = { rollups, jobStore: rollups, readings, registry, clock };
  let n = 0;
  /** What ingest does: store the samples, then run the after-store stage over the message. */
  async function ingest(deviceId: string, samples: Sample[]) {
    const d = deviceId === device.id ? device : other;
    await readings.putItems(samples.map((s) => toReadingItem(deviceId, s, clock.t, 400)));
    const stored: StoredMessage = {
      messageId: `m-${++n}`,
      device: d,
      message: { deviceId, kind: 'water', samples },
      receivedAt: clock.t,
    };
    return stage([stored]);
  }
  const minutes = (from: number, count: number, firstSeq = 0, m?: (i: number) => Record<string, number>) =>
    Array.from({ length: count }, (_, i) => ({
      ts: from + i * MINUTE,
      seq: firstSeq + i,
      m: m ? m(i) : waterMetrics(firstSeq + i),
    }));
  return { clock, readings, rollups, registry, deps, ingest, minutes };
}

/** The expected items, straight from everything stored (the brute force is in the core's property test). */
function expectedFrom(readings: PagedReadingStore, deviceId: string, now: number) {
  const d = deviceId === device.id ? device : other;
  const samples = [...readings.items.values()]
    .filter((i) => i.deviceId === deviceId)
    .sort((a, b) => (a.sk < b.sk ? -1 : 1))
    .map((i) => ({ ts: i.ts, seq: i.seq, m: i.m }));
  const hours = [...new Set(samples.map((s) => hourStart(s.ts)))]
    .filter((h) => h + HOUR + 2 * MINUTE <= now)
    .map(
      (h) =>
        rollupHour(
          d,
          h,
          samples.filter((s) => hourStart(s.ts) === h),
          samples.filter((s) => s.ts < h).slice(-lookbackFor(d)),
          0,
        ) as RollupItem,
    );
  const days = [...new Set(hours.map((h) => chinaDayStart(h.start)))].map(
    (day) => rollupDay(d, day, hours, 0) as RollupItem,
  );
  return { hours, days };
}

function expectStoreMatches(rollups: InMemoryRollups, expected: ReturnType<typeof expectedFrom>) {
  for (const item of [...expected.hours, ...expected.days]) {
    const stored = rollups.items.get(`${item.pk}|${item.sk}`);
    expect(stored, item.sk).toBeDefined();
    expect(sameContent(stored as RollupItem, item), item.sk).toBe(true);
  }
}

describe('touched-hour marks (ingest stage)', () => {
  it('marks a device-hour once per container while the hour is open; an ended hour is always marked', async () => {
    const { clock, rollups, ingest, minutes } = setup();
    clock.t = START + 10 * MINUTE;
    await ingest(device.id, minutes(START, 5));
    await ingest(device.id, minutes(START + 5 * MINUTE, 5, 5));
    await ingest(other.id, minutes(START + 5 * MINUTE, 5, 5));
    expect(rollups.marks.map((m) => [...m.hours])).toEqual([[[device.id, [START]]], [[other.id, [START]]]]);
    // Late data for an hour that has ended: marked again, as the job may have rolled it up already.
    clock.t = START + 2 * HOUR;
    await ingest(device.id, minutes(START + 30 * MINUTE, 1, 30));
    await ingest(device.id, minutes(START + 31 * MINUTE, 1, 31));
    expect(rollups.marks).toHaveLength(4);
  });

  it('a mark that cannot be written fails the messages that needed it, and is written on their retry', async () => {
    const { clock, rollups, ingest, minutes } = setup();
    clock.t = START + 10 * MINUTE;
    rollups.failMarks = new Error('throttled');
    expect([...(await ingest(device.id, minutes(START, 2)))]).toEqual(['m-1']);
    rollups.failMarks = undefined;
    expect([...(await ingest(device.id, minutes(START, 2)))]).toEqual([]);
    expect(rollups.marks).toHaveLength(1);
  });
});

describe('the roll-up job', () => {
  it('rolls up ended hours and their days from the marks; an open hour stays owed until it has ended', async () => {
    const { clock, readings, rollups, deps, ingest, minutes } = setup();
    clock.t = START + 2 * HOUR + 30 * MINUTE;
    await ingest(device.id, minutes(START, 150));
    await ingest(other.id, minutes(START + HOUR, 60));
    const first = await runRollupJob(deps);
    expect(first).toMatchObject({
      hoursComputed: 3,
      hoursWritten: 3,
      daysWritten: 2,
      owed: 1,
      complete: true,
    });
    expectStoreMatches(rollups, expectedFrom(readings, device.id, clock.t));
    expectStoreMatches(rollups, expectedFrom(readings, other.id, clock.t));
    await expect(rollups.range(device.id, 'hour', START + 2 * HOUR, START + 3 * HOUR)).resolves.toEqual([]);

    clock.t = START + 3 * HOUR + 5 * MINUTE;
    // The cursor lags 2 minutes: the marks just before the last run are read again, and skipped as read already.
    const second = await runRollupJob(deps);
    expect(second).toMatchObject({ touched: 0, hoursComputed: 1, hoursWritten: 1, daysWritten: 1, owed: 0 });
    expect(rollups.state?.recent).toEqual([]);
    expectStoreMatches(rollups, expectedFrom(readings, device.id, clock.t));
  });

  it('replaying the same data writes nothing; a backfill of last week corrects last week', async () => {
    const { clock, readings, rollups, deps, ingest, minutes } = setup();
    clock.t = START + 8 * DAY;
    const week = minutes(START, 7 * 24 * 60);
    await ingest(device.id, week);
    await runRollupJob(deps);
    const items = rollups.items.size;
    expect(items).toBe(7 * 24 + 7);

    rollups.written = [];
    clock.t += HOUR;
    await ingest(device.id, week);
    const replay = await runRollupJob(deps);
    expect(replay).toMatchObject({ hoursComputed: 7 * 24, hoursWritten: 0, daysWritten: 0 });
    expect(rollups.written).toEqual([]);

    // A corrected backfill: day 3 had a chlorine loss the first upload missed (same ts, new seq: a second sample).
    clock.t += HOUR;
    const day3 = START + 2 * DAY;
    await ingest(
      device.id,
      minutes(day3 + 6 * HOUR, 90, 1_000_000, () => ({ ...waterMetrics(1), free_chlorine_mg_l: 0.1 })),
    );
    const fix = await runRollupJob(deps);
    expect(fix).toMatchObject({ hoursWritten: 2, daysWritten: 1 });
    expect(rollups.items.size).toBe(items);
    const [day] = await rollups.range(device.id, 'day', day3, day3 + 1);
    expect(day?.metrics.free_chlorine_mg_l).toMatchObject({ count: 24 * 60 + 90, overLimit: 90 });
    expectStoreMatches(rollups, expectedFrom(readings, device.id, clock.t));
  });

  it('stops taking work when the invocation runs short; the next run finishes what is owed', async () => {
    const { clock, readings, rollups, deps, ingest, minutes } = setup();
    clock.t = START + 4 * DAY;
    await ingest(device.id, minutes(START, 3 * 24 * 60));
    let left = 60_000;
    const short = await runRollupJob({ ...deps, remainingMs: () => (left -= 15_000) });
    expect(short.complete).toBe(false);
    expect(short.owed).toBeGreaterThan(0);
    expect(rollups.state?.owed[device.id]).toBeDefined();
    const rest = await runRollupJob(deps);
    expect(rest).toMatchObject({ complete: true, owed: 0 });
    expect(short.hoursComputed + rest.hoursComputed).toBe(3 * 24);
    expect(short.hoursWritten + rest.hoursWritten).toBe(3 * 24);
    expectStoreMatches(rollups, expectedFrom(readings, device.id, clock.t));
  });

  it('says in the log when its cursor is older than the marks are kept; a recompute request covers the gap', async () => {
    const { clock, readings, rollups, deps, minutes } = setup();
    clock.t = START + 30 * DAY;
    await readings.putItems(minutes(START, 120).map((s) => toReadingItem(device.id, s, START, 400)));
    rollups.state = { cursor: START, owed: {}, updatedAt: START };
    const warn = vi.spyOn(logger, 'warn');
    const run = await runRollupJob(deps, { recompute: { from: START, to: START + DAY } });
    expect(warn.mock.calls.some(([msg]) => String(msg).includes('older than the touched-hour marks'))).toBe(
      true,
    );
    warn.mockRestore();
    expect(run).toMatchObject({ hoursComputed: 48, hoursWritten: 2, daysWritten: 1 });
    expectStoreMatches(rollups, expectedFrom(readings, device.id, clock.t));
  });
});
