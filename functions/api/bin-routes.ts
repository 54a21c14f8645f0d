import { z } from 'zod';
import type { BinDevice } from '../core/bins';
import { parseIsoDuration } from '../core/duration';
import { NotFoundError, ValidationError } from '../core/errors';
import type { BinEventStore, CollectionEvent } from '../ports/bin-event-store';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { ReadingStore } from '../ports/reading-store';
import { CHINA_UTC_OFFSET_MS, DAY_MS, HOUR_MS } from '../shared/time';
import { type BinStatus, binDetail, collectionList } from '../use-cases/bin-forecasts';
import { collectionReport } from '../use-cases/collection-report';
import {
  type ApiEvent,
  type ApiResult,
  ID_FORMATS,
  json,
  parseQuery,
  pathParam,
  textParam,
  timeParam,
} from './http';
import type {
  BinDetailView,
  BinList,
  BinStatusView,
  CollectionEventView,
  CollectionReportView,
} from './types';

export interface BinApiDeps {
  registry: DeviceRegistry;
  readings: ReadingStore;
  binEvents: BinEventStore;
  clock: Clock;
}

const iso = (ts: number | undefined) => (ts === undefined ? null : new Date(ts).toISOString());
const round1 = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10) / 10);
const round2 = (v: number | undefined) => (v === undefined ? null : Math.round(v * 100) / 100);

const township = textParam.optional();

function presentStatus(s: BinStatus, now: number): BinStatusView {
  const { device: d, forecast: f } = s;
  return {
    binId: d.id,
    siteId: d.siteId,
    siteName: d.siteName,
    siteNameZh: d.siteNameZh,
    siteType: d.siteType,
    township: d.township,
    wasteStream: d.wasteStream,
    capacityL: d.capacityL,
    location: d.location,
    fillPct: round1(f.fillPct),
    levelPct: round1(f.levelPct),
    lastReadingAt: iso(f.lastReadingAt),
    latestFlag: s.latest?.flag ?? null,
    thresholdPct: f.thresholdPct,
    aboveThreshold: f.aboveThreshold,
    overflowing: f.overflowing,
    ratePctPerHour: round2(f.ratePctPerHour),
    noisePct: round1(f.noisePct),
    thresholdAt: iso(f.thresholdAt),
    hoursToThreshold: f.thresholdAt === undefined ? null : round1(Math.max(0, f.thresholdAt - now) / HOUR_MS),
    fullAt: iso(f.fullAt),
    forecast: f.status,
    reason: f.reason ?? null,
    readingsSinceCollection: f.readings,
    lastCollection: s.lastCollection
      ? { at: iso(s.lastCollection.at), fromPct: s.lastCollection.fromPct, toPct: s.lastCollection.toPct }
      : null,
  };
}

function presentEvent(e: CollectionEvent): CollectionEventView {
  return {
    binId: e.binId,
    siteId: e.siteId,
    township: e.township,
    wasteStream: e.wasteStream,
    at: iso(e.ts),
    fromPct: e.fromPct,
    toPct: e.toPct,
    lastFullReadingAt: iso(e.fromTs),
  };
}

async function requireBin(deps: BinApiDeps, id: string): Promise<BinDevice> {
  const device = await deps.registry.get(id);
  if (device?.kind !== 'bin')
    throw new NotFoundError(`"${id}" is not a registered bin; GET /bins lists them`);
  return device;
}

/** Start of the calendar month of `ts`, China Standard Time (the month a county report covers). */
function monthStart(ts: number): number {
  const d = new Date(ts + CHINA_UTC_OFFSET_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - CHINA_UTC_OFFSET_MS;
}

/** Bin collection list, bin detail and the collection report, keyed by route. */
export const binRoutes: Record<string, (event: ApiEvent, deps: BinApiDeps) => Promise<ApiResult>> = {
  'GET /bins': async (event, deps) => {
    const q = parseQuery(
      z.object({ township, needsCollectionWithin: z.string().max(64).optional() }).strict(),
      event,
    );
    let windowMs: number | undefined;
    if (q.needsCollectionWithin !== undefined) {
      const parsed = parseIsoDuration(q.needsCollectionWithin);
      if (!parsed.ok) throw new ValidationError(`query parameter needsCollectionWithin: ${parsed.message}`);
      // A longer window adds nothing a county plans for, and keeps forecast times inside what a Date can hold.
      if (parsed.ms > 366 * DAY_MS)
        throw new ValidationError('query parameter needsCollectionWithin may be at most 366 days (P366D)');
      windowMs = parsed.ms;
    }
    const now = deps.clock.now();
    const bins = (await deps.registry.list({ kind: 'bin', township: q.township })) as BinDevice[];
    const list = await collectionList(bins, deps, now, windowMs);
    return json(200, {
      at: iso(now),
      township: q.township ?? null,
      needsCollectionWithin: q.needsCollectionWithin ?? null,
      items: list.map((s) => presentStatus(s, now)),
    } satisfies BinList);
  },

  'GET /bins/collections': async (event, deps) => {
    const q = parseQuery(
      z.object({ from: timeParam.optional(), to: timeParam.optional(), township }).strict(),
      event,
    );
    const now = deps.clock.now();
    const to = q.to ?? now;
    const from = q.from ?? monthStart(to);
    if (from > to) throw new ValidationError('query parameter from must not be after to');
    if (to - from > 366 * DAY_MS)
      throw new ValidationError(
        'from and to may be at most 366 days apart; ask for one month or year at a time',
      );
    const report = await collectionReport(deps, { from, to, township: q.township });
    return json(200, {
      from: iso(report.from),
      to: iso(report.to),
      total: report.total,
      byWasteStream: report.byWasteStream,
      townships: report.townships.map((t) => ({ ...t, events: t.events.map(presentEvent) })),
    } satisfies CollectionReportView);
  },

  'GET /bins/{id}': async (event, deps) => {
    const device = await requireBin(deps, pathParam(event, 'id', ID_FORMATS.device));
    const q = parseQuery(
      z.object({ days: z.coerce.number().int().min(1).max(31).default(7) }).strict(),
      event,
    );
    const now = deps.clock.now();
    const detail = await binDetail(device, deps, now, now - q.days * DAY_MS);
    const { from, to, ...history } = detail.history;
    return json(200, {
      ...presentStatus(detail, now),
      depthMm: device.depthMm,
      history: { from: iso(from), to: iso(to), ...history },
      collections: detail.collections.map(presentEvent),
    } satisfies BinDetailView);
  },
};
