import type { ReadingItem } from '../../functions/core/reading-item';
import type { Device } from '../../functions/core/registry';
import type { Clock } from '../../functions/ports/clock';
import type { DeviceFilter, DeviceRegistry, MaintenanceDetails } from '../../functions/ports/device-registry';
import type {
  QuarantineEntry,
  QuarantinePage,
  QuarantineQuery,
  QuarantineStore,
} from '../../functions/ports/quarantine-store';
import type { ReadingPage, ReadingQuery, ReadingStore } from '../../functions/ports/reading-store';

export function fixedClock(now: number): Clock {
  return { now: () => now };
}

/**
 * An in-memory ReadingStore; `unwritable` keys (`deviceId|sk`) come back as unwritten, as after exhausted retries.
 * A call holding an item `refuse` gives an error for fails whole and writes nothing, as one BatchWriteItem does.
 */
export class InMemoryReadingStore implements ReadingStore {
  readonly items = new Map<string, ReadingItem>();
  readonly unwritable = new Set<string>();
  failWith: Error | undefined;
  refuse: ((item: ReadingItem) => Error | undefined) | undefined;
  putCalls = 0;

  async putItems(items: readonly ReadingItem[]): Promise<ReadingItem[]> {
    this.putCalls++;
    if (this.failWith) throw this.failWith;
    for (const item of items) {
      const err = this.refuse?.(item);
      if (err) throw err;
    }
    const unwritten: ReadingItem[] = [];
    for (const item of items) {
      const key = `${item.deviceId}|${item.sk}`;
      if (this.unwritable.has(key)) unwritten.push(item);
      else this.items.set(key, item);
    }
    return unwritten;
  }

  async query(q: ReadingQuery): Promise<ReadingPage> {
    const all = [...this.items.values()]
      .filter((i) => i.deviceId === q.deviceId && i.ts >= q.from && i.ts <= q.to)
      .sort((a, b) => (a.sk < b.sk ? -1 : 1));
    if (q.newestFirst) all.reverse();
    return { items: all.slice(0, q.limit) };
  }

  async latest(deviceId: string): Promise<ReadingItem | undefined> {
    return [...this.items.values()]
      .filter((i) => i.deviceId === deviceId)
      .sort((a, b) => (a.sk < b.sk ? 1 : -1))[0];
  }
}

export class InMemoryQuarantineStore implements QuarantineStore {
  readonly entries: QuarantineEntry[] = [];
  failWith: Error | undefined;

  async put(entries: readonly QuarantineEntry[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const e of entries) {
      if (!this.entries.some((x) => x.id === e.id)) this.entries.push(e);
    }
  }

  async listRecent(options: { limit: number; deviceId?: string }): Promise<QuarantineEntry[]> {
    return (await this.list(options)).items;
  }

  /** Newest first; the cursor is the count of entries already listed (the fake does not check it for tampering). */
  async list(options: QuarantineQuery | { limit: number; deviceId?: string }): Promise<QuarantinePage> {
    const q = options as Partial<QuarantineQuery> & { limit: number };
    const start = q.cursor === undefined ? 0 : Number(q.cursor);
    const all = this.entries
      .filter((e) => q.deviceId === undefined || e.deviceId === q.deviceId)
      .filter((e) => q.reason === undefined || e.reason === q.reason)
      .sort((a, b) => b.receivedAt - a.receivedAt);
    const items = all.slice(start, start + q.limit);
    return start + q.limit < all.length ? { items, cursor: String(start + q.limit) } : { items };
  }
}

export class InMemoryDeviceRegistry implements DeviceRegistry {
  readonly devices = new Map<string, Device>();

  constructor(devices: readonly Device[] = []) {
    for (const d of devices) this.devices.set(d.id, d);
  }

  async get(deviceId: string): Promise<Device | undefined> {
    return this.devices.get(deviceId);
  }

  async list(filter: DeviceFilter = {}): Promise<Device[]> {
    return [...this.devices.values()].filter(
      (d) =>
        (filter.kind === undefined || d.kind === filter.kind) &&
        (filter.siteId === undefined || d.siteId === filter.siteId) &&
        (filter.township === undefined || d.township === filter.township),
    );
  }

  async putMany(devices: readonly Device[]): Promise<void> {
    for (const d of devices) this.devices.set(d.id, d);
  }

  async setMaintenance(
    deviceId: string,
    on: boolean,
    reason?: string,
    details: MaintenanceDetails = {},
  ): Promise<Device | undefined> {
    const device = this.devices.get(deviceId);
    if (!device) return undefined;
    const { maintenanceReason: _r, maintenanceUntil: _u, maintenanceBy: _b, ...rest } = device;
    const updated: Device = { ...rest, maintenance: on };
    if (reason !== undefined) updated.maintenanceReason = reason;
    if (details.until !== undefined) updated.maintenanceUntil = details.until;
    if (details.by !== undefined) updated.maintenanceBy = details.by;
    this.devices.set(deviceId, updated);
    return updated;
  }
}
