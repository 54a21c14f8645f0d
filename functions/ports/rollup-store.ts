import type { RollupItem, RollupPeriod } from '../core/rollup-types';

/** Roll-up items (the `rollups` table). */
export interface RollupStore {
  /** Writes whole items (idempotent: same key, same content). Callers write only items whose content changed. */
  put(items: readonly RollupItem[]): Promise<void>;
  /** A device's roll-ups of one period whose `start` is in [from, to), oldest first (every page read). */
  range(deviceId: string, period: RollupPeriod, from: number, to: number): Promise<RollupItem[]>;
  /**
   * Daily roll-ups of one township for one China-time month (`YYYY-MM`), optionally of one site, through the
   * `byTownshipMonth` index (every page read), ordered by site, device, day.
   */
  dailyForTownship(township: string, month: string, siteId?: string): Promise<RollupItem[]>;
}
