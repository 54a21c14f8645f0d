import type { Device } from '../core/registry';
import type { Clock } from '../ports/clock';
import type { DeviceFilter, DeviceRegistry, MaintenanceDetails } from '../ports/device-registry';
import { MINUTE_MS } from '../shared/time';

/**
 * Keeps registry look-ups in memory for the life of a warm function, so a batch of 100 messages from one device
 * costs one read. Unknown ids are remembered for a shorter time so a newly registered device is seen soon.
 */
export class CachedDeviceRegistry implements DeviceRegistry {
  private readonly cache = new Map<string, { device: Device | undefined; expires: number }>();

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

  async putMany(devices: readonly Device[]): Promise<void> {
    await this.inner.putMany(devices);
    for (const d of devices) this.cache.delete(d.id);
  }

  async setMaintenance(
    deviceId: string,
    on: boolean,
    reason?: string,
    details?: MaintenanceDetails,
  ): Promise<Device | undefined> {
    const device = await this.inner.setMaintenance(deviceId, on, reason, details);
    this.cache.delete(deviceId);
    return device;
  }

  /** Forget everything, e.g. after a device's maintenance flag changed. */
  invalidate(deviceId?: string): void {
    if (deviceId === undefined) this.cache.clear();
    else this.cache.delete(deviceId);
  }
}
