import type { Audience } from '../core/alarm-types';
import type { SnsFilterPolicy, Subscription } from '../core/subscription';

export interface SubscriptionFilter {
  audience?: Audience;
  /** Subscriptions of this E.164 number. */
  phone?: string;
  /** Subscriptions that name this site in `siteIds`. */
  siteId?: string;
  /** Subscriptions that name this township in `townships`. */
  township?: string;
}

/** Who gets which SMS. */
export interface SubscriptionStore {
  /** Creates or replaces (same `subscriptionId`). */
  put(sub: Subscription): Promise<void>;
  get(subscriptionId: string): Promise<Subscription | undefined>;
  /** Every subscription matching all given criteria, oldest first. */
  list(filter?: SubscriptionFilter): Promise<Subscription[]>;
  /** False when there was nothing to delete. */
  delete(subscriptionId: string): Promise<boolean>;
}

/**
 * Registers a phone with the SMS provider when the provider does the fan-out. SNS keeps one subscription per topic,
 * protocol and endpoint, so a phone has one registration whose filter policy is the union of all its subscriptions.
 * Where the notifier reads the store at send time (the local outbox), there is nothing to register.
 */
export interface SubscriptionChannel {
  /**
   * Makes the provider send `phone` exactly what `policy` accepts, creating the registration or updating it in
   * place; `knownRef` is the handle from last time, if any. Returns the provider's handle (SNS SubscriptionArn).
   */
  route(phone: string, policy: SnsFilterPolicy, knownRef?: string): Promise<string | undefined>;
  /** Stops every SMS to `phone`; a registration that no longer exists is not an error. */
  unroute(phone: string, knownRef?: string): Promise<void>;
}
