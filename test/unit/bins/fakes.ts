import type { BinEventStore, CollectionEvent } from '../../../functions/ports/bin-event-store';

/** An in-memory BinEventStore; `unwritable` makes every put come back unwritten, as after exhausted retries. */
export class InMemoryBinEventStore implements BinEventStore {
  readonly items = new Map<string, CollectionEvent>();
  unwritable = false;

  async putCollections(events: readonly CollectionEvent[]): Promise<CollectionEvent[]> {
    if (this.unwritable) return [...events];
    for (const e of events) this.items.set(`${e.binId}|${e.ts}`, e);
    return [];
  }

  async latestCollection(binId: string, before: number): Promise<CollectionEvent | undefined> {
    return (await this.listForBin(binId, { from: 0, to: before, limit: 1 }))[0];
  }

  async listForBin(
    binId: string,
    r: { from: number; to: number; limit: number },
  ): Promise<CollectionEvent[]> {
    return [...this.items.values()]
      .filter((e) => e.binId === binId && e.ts >= r.from && e.ts <= r.to)
      .sort((a, b) => b.ts - a.ts)
      .slice(0, r.limit);
  }

  async listForTownship(township: string, r: { from: number; to: number }): Promise<CollectionEvent[]> {
    return [...this.items.values()]
      .filter((e) => e.township === township && e.ts >= r.from && e.ts <= r.to)
      .sort((a, b) => a.ts - b.ts);
  }
}
