import type { ReadingItem } from '../../functions/core/reading-item';
import type { RollupItem, RollupPeriod } from '../../functions/core/rollup-types';
import type { ReadingPage, ReadingQuery } from '../../functions/ports/reading-store';
import type { RollupStore } from '../../functions/ports/rollup-store';
import type {
  MarkRead,
  RollupJobState,
  RollupJobStore,
  TouchedHourMarks,
  TouchedHours,
} from '../../functions/ports/touched-hours';
import { InMemoryReadingStore } from './fakes';

/** The in-memory reading store with DynamoDB's paging: at most `limit` items a page and a cursor to the next. */
export class PagedReadingStore extends InMemoryReadingStore {
  queries = 0;

  override async query(q: ReadingQuery): Promise<ReadingPage> {
    this.queries++;
    const all = [...this.items.values()]
      .filter((i) => i.deviceId === q.deviceId && i.ts >= q.from && i.ts <= q.to)
      .sort((a, b) => (a.sk < b.sk ? -1 : 1));
    if (q.newestFirst) all.reverse();
    const start = q.cursor === undefined ? 0 : Number(q.cursor);
    const items: ReadingItem[] = all.slice(start, start + q.limit);
    const next = start + q.limit;
    return next < all.length ? { items, cursor: String(next) } : { items };
  }
}

/** Roll-ups, marks and the job's state in memory, with the writes counted. */
export class InMemoryRollups implements RollupStore, TouchedHourMarks, RollupJobStore {
  readonly items = new Map<string, RollupItem>();
  readonly marks: { writtenAt: number; hours: Map<string, number[]> }[] = [];
  state: RollupJobState | undefined;
  written: RollupItem[] = [];
  failMarks: Error | undefined;

  async put(items: readonly RollupItem[]): Promise<void> {
    for (const item of items) {
      this.items.set(`${item.pk}|${item.sk}`, structuredClone(item));
      this.written.push(item);
    }
  }

  async range(deviceId: string, period: RollupPeriod, from: number, to: number): Promise<RollupItem[]> {
    return [...this.items.values()]
      .filter((i) => i.deviceId === deviceId && i.period === period && i.start >= from && i.start < to)
      .sort((a, b) => a.start - b.start)
      .map((i) => structuredClone(i));
  }

  async dailyForTownship(township: string, month: string, siteId?: string): Promise<RollupItem[]> {
    return [...this.items.values()]
      .filter((i) => i.tm === `${township}#${month}` && (siteId === undefined || i.siteId === siteId))
      .sort((a, b) => ((a.sdd ?? '') < (b.sdd ?? '') ? -1 : 1));
  }

  async mark(hours: TouchedHours, writtenAt: number): Promise<void> {
    if (this.failMarks) throw this.failMarks;
    this.marks.push({ writtenAt, hours: new Map([...hours].map(([id, h]) => [id, [...h]])) });
  }

  async marksSince(after: number, upTo: number, skip: ReadonlySet<string> = new Set()) {
    const hours = new Map<string, number[]>();
    const read: MarkRead[] = [];
    for (const [i, m] of this.marks.entries()) {
      if (m.writtenAt <= after || m.writtenAt > upTo || skip.has(`mark-${i}`)) continue;
      read.push({ id: `mark-${i}`, writtenAt: m.writtenAt });
      for (const [id, h] of m.hours) hours.set(id, [...new Set([...(hours.get(id) ?? []), ...h])]);
    }
    return { hours, read };
  }

  async jobState(): Promise<RollupJobState | undefined> {
    return this.state && structuredClone(this.state);
  }

  async saveJobState(state: RollupJobState): Promise<void> {
    this.state = structuredClone(state);
  }
}
