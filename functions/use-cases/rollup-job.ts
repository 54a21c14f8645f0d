import { chinaDayStart } from '../core/china-calendar';
import { fromReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import { hourStart, lookbackFor, rollupDay, rollupHour, sameContent } from '../core/rollup';
import type { RollupItem } from '../core/rollup-types';
import type { Sample } from '../core/telemetry';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { ReadingStore } from '../ports/reading-store';
import type { RollupStore } from '../ports/rollup-store';
import type { RollupJobState, RollupJobStore } from '../ports/touched-hours';
import { mapWithConcurrency } from '../shared/concurrency';
import { logger } from '../shared/logger';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../shared/time';

/** Settings of the roll-up job; the defaults suit the deployed function (FUNCTIONS.rollups in infra/wiring.ts). */
const ROLLUP_JOB_DEFAULTS = {
  /**
   * Marks written this close to a run may still be in flight (an ingest invocation lasts at most 20 s): the cursor
   * stays this far behind, so they are read next time; the ones read already are remembered and skipped.
   */
  cursorLagMs: 2 * MINUTE_MS,
  /** An hour is rolled up this long after its end, when every sample stored before the end is readable. */
  settleMs: 2 * MINUTE_MS,
  /** Stop taking new work when less than this is left of the invocation; the rest stays owed. */
  reserveMs: 20_000,
  /** Devices rolled up at once. */
  concurrency: 4,
  /** How long marks are kept (MARK_RETENTION_DAYS of the adapter): an older cursor may have missed some. */
  markRetentionMs: 14 * DAY_MS,
} as const;

export interface RollupJobDeps {
  rollups: RollupStore;
  jobStore: RollupJobStore;
  readings: ReadingStore;
  registry: Pick<DeviceRegistry, 'get' | 'list'>;
  clock: Clock;
  /** Time left in this invocation, ms; without it the job runs until nothing ended is owed. */
  remainingMs?: () => number;
  settings?: Partial<typeof ROLLUP_JOB_DEFAULTS>;
}

/** Recompute a range for every device (or the ones named), e.g. after restoring a backup or a lost cursor. */
export interface RecomputeRequest {
  from: number;
  to: number;
  deviceIds?: string[];
}

export interface RollupJobResult {
  /** Device-hours newly read from marks (or asked for by a recompute). */
  touched: number;
  hoursComputed: number;
  hoursWritten: number;
  daysWritten: number;
  /** (device, day) units that failed and stay owed. */
  failed: number;
  /** Device-hours still owed: open hours, and ended ones left for the next run when time ran out. */
  owed: number;
  cursor: number;
  /** Whether every ended hour owed was rolled up. */
  complete: boolean;
}

/** Owed hours per device as sorted hour starts ⇄ the state's runs `[first, count, …]` (a backfill is one run). */
function toRuns(hours: Iterable<number>): number[] {
  const sorted = [...new Set(hours)].sort((a, b) => a - b);
  const runs: number[] = [];
  for (const h of sorted) {
    const n = runs.length;
    if (n > 0 && (runs[n - 2] as number) + (runs[n - 1] as number) * HOUR_MS === h)
      runs[n - 1] = (runs[n - 1] as number) + 1;
    else runs.push(h, 1);
  }
  return runs;
}

function fromRuns(runs: readonly number[]): number[] {
  const hours: number[] = [];
  for (let i = 0; i + 1 < runs.length; i += 2)
    for (let k = 0; k < (runs[i + 1] as number); k++) hours.push((runs[i] as number) + k * HOUR_MS);
  return hours;
}

/** All stored samples of a device in [from, to), in key order (every page read). */
async function readSamples(
  readings: ReadingStore,
  deviceId: string,
  from: number,
  to: number,
): Promise<Sample[]> {
  const out: Sample[] = [];
  let cursor: string | undefined;
  do {
    const page = await readings.query({
      deviceId,
      from,
      to: to - 1,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.items.map(fromReadingItem));
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** The `n` samples just before `before`, oldest first: what a stuck check at the first sample after looks back at. */
async function samplesBefore(
  readings: ReadingStore,
  deviceId: string,
  before: number,
  n: number,
): Promise<Sample[]> {
  if (n <= 0) return [];
  const page = await readings.query({ deviceId, from: 0, to: before - 1, limit: n, newestFirst: true });
  return page.items.map(fromReadingItem).reverse();
}

/**
 * One device, one China-time day: recomputes the given ended hours from the stored readings, then the day from its
 * hourly items, and writes only the items whose content changed. Recomputed, never incremented: running it again on
 * the same readings writes nothing.
 */
async function rollUpDeviceDay(
  deps: RollupJobDeps,
  device: Device,
  day: number,
  hours: readonly number[],
  now: number,
): Promise<{ hoursWritten: number; dayWritten: boolean }> {
  const first = hours[0] as number;
  const last = hours.at(-1) as number;
  const [lead, span, existingHours, existingDay] = await Promise.all([
    samplesBefore(deps.readings, device.id, first, lookbackFor(device)),
    readSamples(deps.readings, device.id, first, last + HOUR_MS),
    deps.rollups.range(device.id, 'hour', day, day + DAY_MS),
    deps.rollups.range(device.id, 'day', day, day + 1),
  ]);
  const byHour = new Map(existingHours.map((h) => [h.start, h]));
  const changed: RollupItem[] = [];
  const all = [...lead, ...span];
  let i = lead.length;
  for (const h of hours) {
    while (i < all.length && (all[i] as Sample).ts < h) i++;
    let j = i;
    while (j < all.length && (all[j] as Sample).ts < h + HOUR_MS) j++;
    const item = rollupHour(
      device,
      h,
      all.slice(i, j),
      all.slice(Math.max(0, i - lookbackFor(device)), i),
      now,
    );
    i = j;
    if (!item) continue;
    const before = byHour.get(h);
    if (before && sameContent(before, item)) continue;
    byHour.set(h, item);
    changed.push(item);
  }
  const hoursWritten = changed.length;
  const dayItem = rollupDay(device, day, [...byHour.values()], now);
  const dayWritten = dayItem !== undefined && !(existingDay[0] && sameContent(existingDay[0], dayItem));
  if (dayWritten) changed.push(dayItem);
  if (changed.length > 0) await deps.rollups.put(changed);
  return { hoursWritten, dayWritten };
}

/**
 * The scheduled roll-up job: reads the touched-hour marks written since its cursor, recomputes every touched hour
 * that has ended and then the China-time days those hours belong to. Bounded by the invocation's time: what it has
 * not done stays owed in its state item and is done first next run. Idempotent: items are recomputed from the stored
 * readings and written only when their content changed.
 */
export async function runRollupJob(
  deps: RollupJobDeps,
  options: { recompute?: RecomputeRequest } = {},
): Promise<RollupJobResult> {
  const settings = { ...ROLLUP_JOB_DEFAULTS, ...deps.settings };
  const now = deps.clock.now();
  const saved = await deps.jobStore.jobState();
  const oldest = now - settings.markRetentionMs;
  if (saved && saved.cursor < oldest)
    logger.warn(
      'roll-up cursor is older than the touched-hour marks are kept: hours touched before may be missed',
      {
        cursor: new Date(saved.cursor).toISOString(),
        marksKeptDays: settings.markRetentionMs / DAY_MS,
        fix: 'invoke the rollups function with {"recompute":{"from":<epoch ms>,"to":<epoch ms>}} over the gap',
      },
    );
  const cursor = saved?.cursor ?? oldest;
  const owed = new Map<string, Set<number>>(
    Object.entries(saved?.owed ?? {}).map(([id, runs]) => [id, new Set(fromRuns(runs))]),
  );
  const owe = (deviceId: string, hour: number) => {
    const set = owed.get(deviceId) ?? new Set<number>();
    set.add(hour);
    owed.set(deviceId, set);
  };
  let touched = 0;
  const marks = await deps.jobStore.marksSince(cursor, now, new Set(saved?.recent?.map((m) => m.id)));
  for (const [deviceId, hours] of marks.hours)
    for (const h of hours) {
      touched++;
      owe(deviceId, h);
    }
  if (options.recompute) {
    const { from, to, deviceIds } = options.recompute;
    const ids = deviceIds ?? (await deps.registry.list()).map((d) => d.id);
    for (const id of ids)
      for (let h = hourStart(from); h < to; h += HOUR_MS) {
        touched++;
        owe(id, h);
      }
  }

  // Work in (device, day) units, oldest first; an hour is ready once it has ended and settled.
  const ready = (h: number) => h + HOUR_MS + settings.settleMs <= now;
  const units: { deviceId: string; day: number; hours: number[] }[] = [];
  for (const [deviceId, set] of owed) {
    const byDay = new Map<number, number[]>();
    for (const h of [...set].filter(ready).sort((a, b) => a - b)) {
      const d = chinaDayStart(h);
      byDay.set(d, [...(byDay.get(d) ?? []), h]);
    }
    for (const [day, hours] of byDay) units.push({ deviceId, day, hours });
  }
  units.sort((a, b) => a.day - b.day || (a.deviceId < b.deviceId ? -1 : 1));

  const result = { hoursComputed: 0, hoursWritten: 0, daysWritten: 0, failed: 0 };
  const outOfTime = () => deps.remainingMs !== undefined && deps.remainingMs() < settings.reserveMs;
  let stopped = false;
  await mapWithConcurrency(units, settings.concurrency, async (unit) => {
    if (stopped || outOfTime()) {
      stopped = true;
      return;
    }
    try {
      const device = await deps.registry.get(unit.deviceId);
      if (device) {
        const done = await rollUpDeviceDay(deps, device, unit.day, unit.hours, now);
        result.hoursComputed += unit.hours.length;
        result.hoursWritten += done.hoursWritten;
        if (done.dayWritten) result.daysWritten++;
      } else logger.warn('roll-up skipped: device not in the registry', { deviceId: unit.deviceId });
    } catch (err) {
      // One device's failure (throttling) leaves its hours owed and costs no other device its roll-up.
      result.failed++;
      logger.error('roll-up failed; the hours stay owed for the next run', {
        deviceId: unit.deviceId,
        day: new Date(unit.day).toISOString(),
        error: err as Error,
      });
      return;
    }
    const set = owed.get(unit.deviceId);
    for (const h of unit.hours) set?.delete(h);
  });

  const nextCursor = Math.max(cursor, now - settings.cursorLagMs);
  const state: RollupJobState = {
    cursor: nextCursor,
    // Marks after the new cursor are read again next run (others may still have been in flight): skip these.
    recent: [...(saved?.recent ?? []), ...marks.read].filter((m) => m.writtenAt > nextCursor),
    owed: Object.fromEntries(
      [...owed].filter(([, set]) => set.size > 0).map(([id, set]) => [id, toRuns(set)]),
    ),
    updatedAt: now,
  };
  await deps.jobStore.saveJobState(state);
  const owedCount = [...owed.values()].reduce((n, set) => n + set.size, 0);
  const complete = !stopped && result.failed === 0;
  const summary = { touched, ...result, owed: owedCount, cursor: state.cursor, complete };
  if (stopped) logger.info('roll-up job out of time; the rest is owed to the next run', summary);
  return summary;
}
