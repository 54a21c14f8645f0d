import { ValidationError } from '../core/errors';
import { type Device, type Fleet, fleetDevices } from '../core/registry';
import { countryRefusal, distinctPhones, phoneAllowed } from '../core/sms-routing';
import { loadFleetSubscriptions, planFleetSync, type Subscription } from '../core/subscription';
import {
  type AuditActor,
  type SubscriptionAuditEntry,
  subscriptionChanged,
} from '../core/subscription-audit';
import type { DeviceRegistry } from '../ports/device-registry';
import {
  checkRoutable,
  recordAudit,
  type SubscriptionChangeDeps,
  syncPhoneRoute,
} from './subscription-changes';

export interface FleetSyncResult {
  devices: number;
  subscriptionsPut: number;
  subscriptionsRemoved: number;
  /** Phones whose provider registration was (re)applied. */
  phonesRouted: number;
}

/** Everything the sync refuses before writing anything: numbers outside the allowed countries, too many phones. */
function guardIssues(
  fleetSubs: readonly Subscription[],
  after: readonly Subscription[],
  guards: SubscriptionChangeDeps['guards'],
): string[] {
  const issues: string[] = [];
  for (const [i, s] of fleetSubs.entries())
    if (!phoneAllowed(s.phone, guards))
      issues.push(`subscriptions.${i}.phone: ${countryRefusal(s.phone, guards)}`);
  const phones = distinctPhones(after).size;
  if (phones > guards.maxPhones)
    issues.push(
      `subscriptions: ${phones} distinct phones with the API's ones, SMS_MAX_PHONES allows ${guards.maxPhones}`,
    );
  for (const [phone, subs] of groupByPhone(after))
    try {
      checkRoutable(phone, subs);
    } catch (err) {
      issues.push(`subscriptions: ${(err as Error).message}`);
    }
  return issues;
}

function groupByPhone(subs: readonly Subscription[]): Map<string, Subscription[]> {
  const byPhone = new Map<string, Subscription[]>();
  for (const s of subs) byPhone.set(s.phone, [...(byPhone.get(s.phone) ?? []), s]);
  return byPhone;
}

/**
 * Makes the registry and the SMS subscriptions match a fleet file. A device's maintenance flag, set through the
 * API, survives; fleet subscriptions removed from the file are removed; subscriptions made through the API are
 * never touched. Every phone's one provider registration is then set to the union of its subscriptions (forced,
 * so a reload repairs drift and adopts registrations from before the union), and each changed subscription is
 * audited with `actor`. A file with a number outside the allowed countries, or more phones than allowed, changes
 * nothing.
 */
export async function syncFleet(
  fleet: Fleet,
  deps: SubscriptionChangeDeps & { registry: DeviceRegistry; actor: AuditActor },
): Promise<FleetSyncResult> {
  const stored = await deps.subscriptions.list();
  const storedById = new Map(stored.map((s) => [s.subscriptionId, s]));
  const fleetSubs = loadFleetSubscriptions(fleet, deps.clock.now());
  const plan = planFleetSync(stored, fleetSubs);
  const putIds = new Set(plan.put.map((s) => s.subscriptionId));
  const removedIds = new Set(plan.remove.map((s) => s.subscriptionId));
  const after = [
    ...stored.filter((s) => !putIds.has(s.subscriptionId) && !removedIds.has(s.subscriptionId)),
    ...plan.put,
  ];
  const issues = guardIssues(fleetSubs, after, deps.guards);
  if (issues.length > 0)
    throw new ValidationError(`fleet file refused, nothing changed: ${issues.join('; ')}`);

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

  // Provider first, as for one change: a crash leaves a phone receiving more than it asked for, never less.
  const byPhone = groupByPhone(after);
  const storedByPhone = groupByPhone(stored);
  const phones = new Set([
    ...byPhone.keys(),
    ...storedByPhone.keys(),
    ...(await deps.phoneRoutes.list()).map((r) => r.phone),
  ]);
  for (const phone of phones) {
    const legacyRef = storedByPhone.get(phone)?.find((s) => s.providerRef !== undefined)?.providerRef;
    await syncPhoneRoute(phone, byPhone.get(phone) ?? [], deps, { force: true, legacyRef });
  }
  for (const s of plan.put) await deps.subscriptions.put(s);
  for (const s of plan.remove) await deps.subscriptions.delete(s.subscriptionId);

  const at = new Date(deps.clock.now()).toISOString();
  const entries: SubscriptionAuditEntry[] = [
    ...plan.put
      .filter((s) => subscriptionChanged(storedById.get(s.subscriptionId), s))
      .map((s): SubscriptionAuditEntry => {
        const before = storedById.get(s.subscriptionId);
        return {
          at,
          actor: deps.actor,
          action: 'fleet-put',
          subscriptionId: s.subscriptionId,
          phone: s.phone,
          ...(before ? { before } : {}),
          after: s,
        };
      }),
    ...plan.remove.map(
      (s): SubscriptionAuditEntry => ({
        at,
        actor: deps.actor,
        action: 'fleet-remove',
        subscriptionId: s.subscriptionId,
        phone: s.phone,
        before: s,
      }),
    ),
  ];
  await recordAudit(deps.audit, entries);
  return {
    devices: devices.length,
    subscriptionsPut: plan.put.length,
    subscriptionsRemoved: plan.remove.length,
    phonesRouted: phones.size,
  };
}
