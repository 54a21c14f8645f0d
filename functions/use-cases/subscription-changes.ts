import { ConflictError, ValidationError } from '../core/errors';
import {
  countryRefusal,
  distinctPhones,
  filterPolicyProblem,
  phoneAllowed,
  phoneFilterPolicy,
  type SmsGuards,
} from '../core/sms-routing';
import type { Subscription } from '../core/subscription';
import type { AuditAction, AuditActor, SubscriptionAuditEntry } from '../core/subscription-audit';
import type { Clock } from '../ports/clock';
import type { PhoneRoutes } from '../ports/phone-routes';
import type { SubscriptionAuditLog } from '../ports/subscription-audit';
import type { SubscriptionChannel, SubscriptionStore } from '../ports/subscription-store';
import { logger } from '../shared/logger';

/** What changing subscriptions needs: the store, the phones' registrations, the provider, the audit log, the guards. */
export interface SubscriptionChangeDeps {
  subscriptions: SubscriptionStore;
  phoneRoutes: PhoneRoutes;
  channel: SubscriptionChannel;
  audit: SubscriptionAuditLog;
  clock: Clock;
  guards: SmsGuards;
}

/**
 * Refuses a number outside the allowed countries (400), and a new phone once `maxPhones` distinct phones have
 * subscriptions (409): both bound what a stolen or careless account can spend on SMS.
 */
export function checkGuards(
  phone: string,
  existing: readonly Pick<Subscription, 'phone'>[],
  guards: SmsGuards,
): void {
  if (!phoneAllowed(phone, guards)) throw new ValidationError(`body phone: ${countryRefusal(phone, guards)}`);
  const phones = distinctPhones(existing);
  if (!phones.has(phone) && phones.size >= guards.maxPhones)
    throw new ConflictError(
      `${phones.size} phones already receive SMS and SMS_MAX_PHONES allows ${guards.maxPhones}; remove the ` +
        'subscriptions of a phone that no longer needs them, or raise the setting',
    );
}

/** Refuses (409) a set of subscriptions whose union SNS would not accept as one filter policy. */
export function checkRoutable(phone: string, desired: readonly Subscription[]): void {
  const policy = phoneFilterPolicy(desired);
  const problem = policy && filterPolicyProblem(policy);
  if (problem)
    throw new ConflictError(
      `${phone}'s ${desired.length} subscriptions together need ${problem} in its one SNS subscription; merge ` +
        'some of them (fewer sites, a township instead of its sites) or delete one first',
    );
}

/**
 * Brings the phone's one provider registration to the union of `desired`: created with the first subscription,
 * set in place when the union changes, removed with the last. Skips the provider when the stored registration
 * already has this policy, unless `force` (a fleet load re-applies every phone, so it repairs drift and adopts
 * registrations made before the union). `legacyRef` is a subscription's own handle from before the union.
 */
export async function syncPhoneRoute(
  phone: string,
  desired: readonly Subscription[],
  deps: Pick<SubscriptionChangeDeps, 'phoneRoutes' | 'channel' | 'clock'>,
  options: { force?: boolean; legacyRef?: string } = {},
): Promise<boolean> {
  const policy = phoneFilterPolicy(desired);
  const route = await deps.phoneRoutes.get(phone);
  const knownRef = route?.providerRef ?? options.legacyRef;
  if (!policy) {
    await deps.channel.unroute(phone, knownRef);
    if (route) await deps.phoneRoutes.delete(phone);
    return route !== undefined;
  }
  const filterPolicy = JSON.stringify(policy);
  if (!options.force && route?.filterPolicy === filterPolicy) return false;
  const providerRef = await deps.channel.route(phone, policy, knownRef);
  await deps.phoneRoutes.put({
    phone,
    ...(providerRef === undefined ? {} : { providerRef }),
    filterPolicy,
    updatedAt: new Date(deps.clock.now()).toISOString(),
  });
  return true;
}

/** Records audit entries; a failed write is logged with the entries in full, not turned into a failed change. */
export async function recordAudit(
  audit: SubscriptionAuditLog,
  entries: readonly SubscriptionAuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  try {
    await audit.record(entries);
  } catch (err) {
    logger.error('subscription audit entries not recorded', { error: err as Error, entries });
  }
}

const legacyRefOf = (subs: readonly (Subscription | undefined)[]) =>
  subs.find((s) => s?.providerRef !== undefined)?.providerRef;

/**
 * Creates, replaces or deletes one subscription (`before` absent: create; `after` absent: delete). The provider is
 * updated first with the phone's new union, then the store; if the store write fails the provider is set back to
 * what the store holds. A crash between the two leaves the phone receiving a little more than it asked for, never
 * less, and repeating the request converges.
 */
export async function changeSubscription(
  change: { before?: Subscription; after?: Subscription },
  actor: AuditActor,
  deps: SubscriptionChangeDeps,
): Promise<void> {
  const { before, after } = change;
  const current = after ?? before;
  if (!current) return;
  const { phone, subscriptionId } = current;
  const others = (await deps.subscriptions.list({ phone })).filter(
    (s) => s.subscriptionId !== subscriptionId,
  );
  const desired = after ? [...others, after] : others;
  if (after) checkRoutable(phone, desired);
  await syncPhoneRoute(phone, desired, deps, { legacyRef: legacyRefOf([before, ...others]) });
  try {
    if (after) await deps.subscriptions.put(after);
    else await deps.subscriptions.delete(subscriptionId);
  } catch (err) {
    await syncPhoneRoute(phone, before ? [...others, before] : others, deps).catch(() => undefined);
    throw err;
  }
  // Another change to the same phone may have landed in between: the union of what is stored now is what counts.
  await syncPhoneRoute(phone, await deps.subscriptions.list({ phone }), deps);
  const action: AuditAction = !before ? 'create' : after ? 'update' : 'delete';
  await recordAudit(deps.audit, [
    {
      at: new Date(deps.clock.now()).toISOString(),
      actor,
      action,
      subscriptionId,
      phone,
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
    },
  ]);
}
