import { type ReadingItem, readingSortKey } from '../../core/reading-item';
import type { ReadingPage, ReadingQuery, ReadingStore } from '../../ports/reading-store';
import { encodeCursor } from '../dynamodb/cursor';
import { readingStartKey } from '../dynamodb/reading-store';
import { storedCopy } from './stored-copy';

/** Index of the first key in `keys` (sorted) not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One device's items, kept in sort-key order. */
interface Partition {
  keys: string[];
  items: ReadingItem[];
}

/**
 * The readings table in memory (partition `deviceId`, sort key `sk`), for the alarm replay of `npm run eval:events`.
 * Same semantics as `DynamoReadingStore`, which a shared contract test runs against it: a put of an existing key
 * replaces the item, a query reads the sort-key range in either order, `Limit` counts items before the metric filter,
 * a page that used its whole limit carries a cursor (even when nothing follows, as DynamoDB's does), and a cursor
 * from another device or outside the range is refused. Not modelled: TTL and the 1 MB page cap.
 */
export class InMemoryReadingStore implements ReadingStore {
  private readonly partitions = new Map<string, Partition>();

  async putItems(items: readonly ReadingItem[]): Promise<ReadingItem[]> {
    for (const item of items) {
      const p = this.partitions.get(item.deviceId) ?? { keys: [], items: [] };
      this.partitions.set(item.deviceId, p);
      const copy = storedCopy(item);
      const last = p.keys[p.keys.length - 1];
      // Appending in order is the common case (a device's samples arrive in time order).
      if (last === undefined || last < item.sk) {
        p.keys.push(item.sk);
        p.items.push(copy);
        continue;
      }
      const at = lowerBound(p.keys, item.sk);
      if (p.keys[at] === item.sk) p.items[at] = copy;
      else {
        p.keys.splice(at, 0, item.sk);
        p.items.splice(at, 0, copy);
      }
    }
    return [];
  }

  async query(q: ReadingQuery): Promise<ReadingPage> {
    const p = this.partitions.get(q.deviceId) ?? { keys: [], items: [] };
    const from = readingSortKey(q.from, 0);
    const to = readingSortKey(q.to, Number.MAX_SAFE_INTEGER);
    let lo = lowerBound(p.keys, from);
    let hi = lowerBound(p.keys, `${to}\u0000`); // exclusive: keys up to and including `to`
    if (q.cursor !== undefined) {
      const sk = readingStartKey({ ...q, cursor: q.cursor }).sk as string;
      if (q.newestFirst) hi = lowerBound(p.keys, sk);
      else lo = Math.max(lo, lowerBound(p.keys, `${sk}\u0000`));
    }
    const range = q.newestFirst
      ? p.items.slice(Math.max(lo, hi - q.limit), hi).reverse()
      : p.items.slice(lo, Math.min(hi, lo + q.limit));
    const items: ReadingItem[] = [];
    for (const item of range) {
      if (q.metric === undefined) items.push(storedCopy(item));
      else if (item.m[q.metric] !== undefined)
        items.push({
          deviceId: item.deviceId,
          sk: item.sk,
          ts: item.ts,
          seq: item.seq,
          rcv: item.rcv,
          m: { [q.metric]: storedCopy(item.m[q.metric]) },
        } as ReadingItem);
    }
    const page: ReadingPage = { items };
    const last = range[range.length - 1];
    if (last && range.length >= q.limit) page.cursor = encodeCursor({ deviceId: last.deviceId, sk: last.sk });
    return page;
  }

  async latest(deviceId: string): Promise<ReadingItem | undefined> {
    const p = this.partitions.get(deviceId);
    const last = p?.items[p.items.length - 1];
    return last ? storedCopy(last) : undefined;
  }
}
