import type { Device } from '../core/registry';

export interface DeviceFilter {
  kind?: Device['kind'];
  siteId?: string;
  township?: string;
}

export interface DeviceRegistry {
  get(deviceId: string): Promise<Device | undefined>;
  list(filter?: DeviceFilter): Promise<Device[]>;
  putMany(devices: readonly Device[]): Promise<void>;
  /** Takes a device out of service (no alarms) or back; returns the updated device, undefined if unknown. */
  setMaintenance(deviceId: string, on: boolean, reason?: string): Promise<Device | undefined>;
}
