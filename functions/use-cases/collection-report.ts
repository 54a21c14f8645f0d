import type { BinEventStore, CollectionEvent } from '../ports/bin-event-store';
import type { DeviceRegistry } from '../ports/device-registry';

interface TownshipCollections {
  township: string;
  collections: number;
  /** Collections per waste stream (residual, recyclable, kitchen, hazardous): sorted collection at a glance. */
  byWasteStream: Record<string, number>;
  /** Bins emptied at least once. */
  bins: number;
  events: CollectionEvent[];
}

export interface CollectionReport {
  from: number;
  to: number;
  total: number;
  byWasteStream: Record<string, number>;
  townships: TownshipCollections[];
}

function countByStream(events: readonly CollectionEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.wasteStream] = (counts[e.wasteStream] ?? 0) + 1;
  return counts;
}

/**
 * Collection events per township within [from, to], for the monthly report of sorted collection. One index Query per
 * township; without a township, every township with a registered bin.
 */
export async function collectionReport(
  deps: { registry: Pick<DeviceRegistry, 'list'>; binEvents: BinEventStore },
  query: { from: number; to: number; township?: string },
): Promise<CollectionReport> {
  const townships =
    query.township !== undefined
      ? [query.township]
      : [...new Set((await deps.registry.list({ kind: 'bin' })).map((d) => d.township))].sort();
  const rows = await Promise.all(
    townships.map(async (township): Promise<TownshipCollections> => {
      const events = (
        await deps.binEvents.listForTownship(township, { from: query.from, to: query.to })
      ).sort((a, b) => a.ts - b.ts || a.binId.localeCompare(b.binId));
      return {
        township,
        collections: events.length,
        byWasteStream: countByStream(events),
        bins: new Set(events.map((e) => e.binId)).size,
        events,
      };
    }),
  );
  const all = rows.flatMap((r) => r.events);
  return {
    from: query.from,
    to: query.to,
    total: all.length,
    byWasteStream: countByStream(all),
    townships: rows,
  };
}
