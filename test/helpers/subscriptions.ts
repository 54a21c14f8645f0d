import type { SnsFilterPolicy, Subscription } from '../../functions/core/subscription';
import type { SubscriptionAuditEntry } from '../../functions/core/subscription-audit';
import type { PhoneRoute, PhoneRoutes } from '../../functions/ports/phone-routes';
import type { AuditPage, SubscriptionAuditLog } from '../../functions/ports/subscription-audit';
import type {
  SubscriptionChannel,
  SubscriptionFilter,
  SubscriptionStore,
} from '../../functions/ports/subscription-store';

/** Subscriptions in memory, filtered as the DynamoDB store filters them. */
export class MemorySubscriptionStore implements SubscriptionStore {
  readonly items = new Map<string, Subscription>();
  failPut = false;
  async put(sub: Subscription) {
    if (this.failPut) throw new Error('table unavailable');
    this.items.set(sub.subscriptionId, sub);
  }
  async get(id: string) {
    return this.items.get(id);
  }
  async list(filter: SubscriptionFilter = {}) {
    return [...this.items.values()].filter(
      (s) =>
        (filter.audience === undefined || s.audience === filter.audience) &&
        (filter.phone === undefined || s.phone === filter.phone) &&
        (filter.siteId === undefined || (s.siteIds ?? []).includes(filter.siteId)) &&
        (filter.township === undefined || (s.townships ?? []).includes(filter.township)),
    );
  }
  async delete(id: string) {
    return this.items.delete(id);
  }
}

export class MemoryPhoneRoutes implements PhoneRoutes {
  readonly items = new Map<string, PhoneRoute>();
  async get(phone: string) {
    return this.items.get(phone);
  }
  async put(route: PhoneRoute) {
    this.items.set(route.phone, route);
  }
  async delete(phone: string) {
    this.items.delete(phone);
  }
  async list() {
    return [...this.items.values()];
  }
}

export class MemoryAuditLog implements SubscriptionAuditLog {
  readonly entries: SubscriptionAuditEntry[] = [];
  async record(entries: readonly SubscriptionAuditEntry[]) {
    this.entries.push(...entries);
  }
  async page(options: { limit: number; cursor?: string }): Promise<AuditPage> {
    const newest = [...this.entries].reverse();
    const start = options.cursor === undefined ? 0 : Number(options.cursor);
    const items = newest.slice(start, start + options.limit);
    return start + options.limit < newest.length
      ? { items, nextCursor: String(start + options.limit) }
      : { items };
  }
}

/**
 * A provider that behaves as SNS does for SMS: one registration per phone, refused a second time with other
 * attributes (the real adapter handles that; here `route` with a known handle sets in place). It records each call.
 */
export class FakeSmsProvider implements SubscriptionChannel {
  readonly registrations = new Map<string, { ref: string; policy: SnsFilterPolicy }>();
  readonly calls: string[] = [];
  private next = 0;
  failRoute: Error | undefined;
  failUnroute: Error | undefined;

  async route(phone: string, policy: SnsFilterPolicy, knownRef?: string) {
    if (this.failRoute) throw this.failRoute;
    const existing = this.registrations.get(phone);
    if (existing && existing.ref !== knownRef && JSON.stringify(existing.policy) !== JSON.stringify(policy))
      throw new Error(
        'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
      );
    const ref = existing?.ref ?? `arn:aws-cn:sns:cn-northwest-1:123456789012:pamir-alarms:${++this.next}`;
    this.calls.push(existing ? `set ${phone}` : `subscribe ${phone}`);
    this.registrations.set(phone, { ref, policy });
    return ref;
  }

  async unroute(phone: string, knownRef?: string) {
    if (this.failUnroute) throw this.failUnroute;
    const existing = this.registrations.get(phone);
    if (!existing) return;
    if (knownRef !== undefined && knownRef !== existing.ref) throw new Error(`wrong handle ${knownRef}`);
    this.calls.push(`unsubscribe ${phone}`);
    this.registrations.delete(phone);
  }
}
