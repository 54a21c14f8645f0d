import { CONTRACT_LIMITS } from '../contract';
import {
  type BinDevice,
  type BinForecast,
  binSettingsFor,
  byUrgency,
  detectCollections,
  dueForCollection,
  type FillHistorySummary,
  type FillReading,
  fillSeries,
  forecastFill,
  summarizeFill,
} from '../core/bins';
import { fromReadingItem } from '../core/reading-item';
import type { BinEventStore, CollectionEvent } from '../ports/bin-event-store';
import type { ReadingStore } from '../ports/reading-store';
import { mapWithConcurrency } from '../shared/concurrency';
import { DAY_MS } from '../shared/time';

/**
 * Forecasts are computed when they are read, never stored: per bin one Query for its newest collection event and one
 * Query for its readings since then. No sample causes a write beyond its own reading item (one write unit per sample,
 * docs/architecture.md), and a changed threshold applies to the next read at once.
 */
export interface BinReadDeps {
  readings: ReadingStore;
  binEvents: BinEventStore;
}

/** The forecast uses at most this many of the newest readings since the last collection (3 days at 15 min). */
const FORECAST_MAX_READINGS = 300;
/** …and none older than this, for a bin never seen emptied. */
const FORECAST_LOOKBACK_MS = 7 * DAY_MS;
/** Pages of readings a history summary reads at most (1000 readings each). */
const HISTORY_MAX_PAGES = 10;
const CONCURRENCY = 8;

/** The last collection as the crew sees it: from the events table, or found in the readings if newer. */
interface LastCollection {
  at: number;
  fromPct: number;
  toPct: number;
}

export interface BinStatus {
  device: BinDevice;
  forecast: BinForecast;
  lastCollection?: LastCollection;
  /** The newest reading when it is flagged (tilted, echo from the ground): the crew should look. */
  latest?: FillReading;
}

/** Fill, rate, forecast and last collection of one bin at `now`. */
async function binStatus(device: BinDevice, deps: BinReadDeps, now: number): Promise<BinStatus> {
  const to = now + CONTRACT_LIMITS.maxFutureMs;
  const stored = await deps.binEvents.latestCollection(device.id, to);
  const from = Math.max(stored?.ts ?? 0, now - FORECAST_LOOKBACK_MS);
  const page = await deps.readings.query({
    deviceId: device.id,
    from,
    to,
    limit: FORECAST_MAX_READINGS,
    newestFirst: true,
  });
  const series = fillSeries(page.items.map(fromReadingItem), device.depthMm);
  const settings = binSettingsFor(device);
  const status: BinStatus = { device, forecast: forecastFill(series, settings) };
  const found = detectCollections(series, settings).at(-1);
  const last: LastCollection | undefined =
    found && (!stored || found.ts > stored.ts)
      ? { at: found.ts, fromPct: found.fromPct, toPct: found.toPct }
      : stored && { at: stored.ts, fromPct: stored.fromPct, toPct: stored.toPct };
  if (last) status.lastCollection = last;
  const newest = series.at(-1);
  if (newest?.flag) status.latest = newest;
  return status;
}

/**
 * The collection list: with a window, the bins above their threshold or forecast to reach it within the window;
 * without one, every bin. Ordered by urgency (core/bins.ts `byUrgency`).
 */
export async function collectionList(
  bins: readonly BinDevice[],
  deps: BinReadDeps,
  now: number,
  windowMs?: number,
): Promise<BinStatus[]> {
  const statuses = await mapWithConcurrency(bins, CONCURRENCY, (bin) => binStatus(bin, deps, now));
  return statuses
    .filter((s) => windowMs === undefined || dueForCollection(s.forecast, now, windowMs))
    .sort((a, b) => byUrgency(a.forecast, b.forecast) || a.device.id.localeCompare(b.device.id));
}

export interface BinDetail extends BinStatus {
  history: FillHistorySummary & { from: number; to: number; truncated: boolean };
  collections: CollectionEvent[];
}

/** One bin: its status, a summary of its fill over [from, to] and the collections in that period. */
export async function binDetail(
  device: BinDevice,
  deps: BinReadDeps,
  now: number,
  from: number,
): Promise<BinDetail> {
  const readings: FillReading[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await deps.readings.query({ deviceId: device.id, from, to: now, limit: 1000, cursor });
    readings.push(...fillSeries(page.items.map(fromReadingItem), device.depthMm));
    cursor = page.cursor;
  } while (cursor && ++pages < HISTORY_MAX_PAGES);
  const [status, collections] = await Promise.all([
    binStatus(device, deps, now),
    deps.binEvents.listForBin(device.id, { from, to: now, limit: 100 }),
  ]);
  return {
    ...status,
    history: { ...summarizeFill(readings), from, to: now, truncated: cursor !== undefined },
    collections,
  };
}
