/** A bin emptied by a collection round, as detected from its fill readings (core/bins.ts `detectCollections`). */
export interface CollectionEvent {
  binId: string;
  /** Sample time of the first reading after emptying, epoch ms; with `binId` it identifies the event. */
  ts: number;
  seq: number;
  township: string;
  siteId: string;
  wasteStream: string;
  /** Fill before and after, %. */
  fromPct: number;
  toPct: number;
  /** Sample time of the reading before emptying. */
  fromTs: number;
  /** When the broker received the emptied reading (not the ingest time, so a retry writes the same item). */
  receivedAt: number;
}

/** Bin events (collections), kept for the collection list and the monthly report of sorted collection. */
export interface BinEventStore {
  /**
   * Stores collection events, one item per (binId, ts): a redelivered batch writes the same item again. Returns the
   * events still unwritten after retries.
   */
  putCollections(events: readonly CollectionEvent[]): Promise<CollectionEvent[]>;
  /** The bin's newest collection at or before `before`. */
  latestCollection(binId: string, before: number): Promise<CollectionEvent | undefined>;
  /** The bin's collections within [from, to], newest first, at most `limit`. */
  listForBin(binId: string, range: { from: number; to: number; limit: number }): Promise<CollectionEvent[]>;
  /** A township's collections within [from, to], oldest first. */
  listForTownship(township: string, range: { from: number; to: number }): Promise<CollectionEvent[]>;
}
