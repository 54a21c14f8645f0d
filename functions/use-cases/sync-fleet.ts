import { type Device, type Fleet, fleetDevices } from '../core/registry';
import { loadFleetSubscriptions, planFleetSync } from '../core/subscription';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { SubscriptionChannel, SubscriptionStore } from '../ports/subscription-store';

export interface FleetSyncResult {
  devices: number;
  subscriptionsPut: number;
  subscriptionsRemoved: number;
}

/**
 * Makes the registry and the SMS subscriptions match a fleet file. A device's maintenance flag, set through the
 * API, survives; fleet subscriptions removed from the file are removed (and unsubscribed at the provider); new
 * ones are registered with the provider once. Subscriptions made through the API are never touched.
 */
export async function syncFleet(
  fleet: Fleet,
  deps: {
    registry: DeviceRegistry;
    subscriptions: SubscriptionStore;
    channel: SubscriptionChannel;
    clock: Clock;
  },
): Promise<FleetSyncResult> {
  const existing = new Map((await deps.registry.list()).map((d) => [d.id, d]));
  const devices = fleetDevices(fleet).map((d) => {
    const before = existing.get(d.id);
    if (!before?.maintenance) return d;
    const kept: Device = { ...d, maintenance: true };
    if (before.maintenanceReason !== undefined) kept.maintenanceReason = before.maintenanceReason;
    if (before.maintenanceUntil !== undefined) kept.maintenanceUntil = before.maintenanceUntil;
    if (before.maintenanceBy !== undefined) kept.maintenanceBy = before.maintenanceBy;
    return kept;
  });
  await deps.registry.putMany(devices);

  const stored = await deps.subscriptions.list();
  const storedById = new Map(stored.map((s) => [s.subscriptionId, s]));
  const plan = planFleetSync(stored, loadFleetSubscriptions(fleet, deps.clock.now()));
  for (const s of plan.put) {
    const providerRef = storedById.get(s.subscriptionId)?.providerRef ?? (await deps.channel.subscribe(s));
    await deps.subscriptions.put(providerRef === undefined ? s : { ...s, providerRef });
  }
  for (const s of plan.remove) {
    if (s.providerRef !== undefined) await deps.channel.unsubscribe(s.providerRef);
    await deps.subscriptions.delete(s.subscriptionId);
  }
  return {
    devices: devices.length,
    subscriptionsPut: plan.put.length,
    subscriptionsRemoved: plan.remove.length,
  };
}
