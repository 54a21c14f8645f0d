import type { Device } from '../core/registry';

export interface DeviceFilter {
  kind?: Device['kind'];
  siteId?: string;
  township?: string;
}

/** When a maintenance ends by itself (epoch ms) and who started it. */
export interface MaintenanceDetails {
  until?: number;
  by?: string;
}

/** The whole registry as read at `readAt`; `fresh` when this call read it from the table. */
export interface RegistrySnapshot {
  devices: Device[];
  fresh: boolean;
}

export interface DeviceRegistry {
  get(deviceId: string): Promise<Device | undefined>;
  list(filter?: DeviceFilter): Promise<Device[]>;
  putMany(devices: readonly Device[]): Promise<void>;
  /**
   * Takes a device out of service (no alarms) or back; returns the updated device, undefined if unknown. `until` and
   * `by` are stored with the maintenance (and removed when absent, as when it is turned off).
   */
  setMaintenance(
    deviceId: string,
    on: boolean,
    reason?: string,
    details?: MaintenanceDetails,
  ): Promise<Device | undefined>;
  /**
   * The whole registry, read again only when the last read is older than `maxAgeMs` or the registry changed
   * through this instance (a warm scheduled function then skips a full read of the device table per run).
   * Optional: a registry without it is listed every time.
   */
  snapshot?(maxAgeMs: number): Promise<RegistrySnapshot>;
}
