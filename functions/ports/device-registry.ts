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
}
