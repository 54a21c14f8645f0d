import type { Device } from '../core/registry';
import type { Clock } from '../ports/clock';
import type {
  DeviceFilter,
  DeviceRegistry,
  MaintenanceDetails,
  RegistrySnapshot,
} from '../ports/device-registry';
import { MINUTE_MS } from '../shared/time';

/**
 * Keeps registry look-ups in memory for the life of a warm function, so a batch of 100 messages from one device
 * costs one read. Unknown ids are remembered for a shorter time so a newly registered device is seen soon.
 */
export class CachedDeviceRegistry implements DeviceRegistry {
  private readonly cache = new Map<string, { device: Device | undefined; expires: number }>();
  private listed: { devices: Device[]; at: number } | undefined;

  constructor(
    private readonly inner: DeviceRegistry,
    private readonly clock: Clock,
    private readonly ttlMs = MINUTE_MS,
    private readonly negativeTtlMs = 10_000,
  ) {}

  async get(deviceId: string): Promise<Device | undefined> {
    const now = this.clock.now();
    const hit = this.cache.get(deviceId);
    if (hit && hit.expires > now) return hit.device;
    const device = await this.inner.get(deviceId);
    this.cache.set(deviceId, { device, expires: now + (device ? this.ttlMs : this.negativeTtlMs) });
    return device;
  }

  list(filter?: DeviceFilter): Promise<Device[]> {
    return this.inner.list(filter);
  }

  async snapshot(maxAgeMs: number): Promise<RegistrySnapshot> {
    const now = this.clock.now();
    if (this.listed && now - this.listed.at < maxAgeMs) return { devices: this.listed.devices, fresh: false };
    const devices = await this.inner.list();
    this.listed = { devices, at: now };
    return { devices, fresh: true };
  }

  async putMany(devices: readonly Device[]): Promise<void> {
    await this.inner.putMany(devices);
    for (const d of devices) this.cache.delete(d.id);
    this.listed = undefined;
  }

  async setMaintenance(
    deviceId: string,
    on: boolean,
    reason?: string,
    details?: MaintenanceDetails,
  ): Promise<Device | undefined> {
    const device = await this.inner.setMaintenance(deviceId, on, reason, details);
    this.cache.delete(deviceId);
    this.listed = undefined;
    return device;
  }

  /** Forget everything, e.g. after a device's maintenance flag changed. */
  invalidate(deviceId?: string): void {
    this.listed = undefined;
    if (deviceId === undefined) this.cache.clear();
    else this.cache.delete(deviceId);
  }
}
