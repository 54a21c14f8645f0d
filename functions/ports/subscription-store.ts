import type { Audience } from '../core/alarm-types';
import type { Subscription } from '../core/subscription';

export interface SubscriptionFilter {
  audience?: Audience;
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
 * Registers a phone with the SMS provider when the provider does the fan-out (SNS: an `sms` subscription with a
 * filter policy). Where the notifier reads the store at send time (the local outbox), there is nothing to register.
 */
export interface SubscriptionChannel {
  /** Returns the provider's reference for the registration (SNS SubscriptionArn), if it keeps one. */
  subscribe(sub: Subscription): Promise<string | undefined>;
  /** Undoes `subscribe`; a registration that no longer exists is not an error. */
  unsubscribe(providerRef: string): Promise<void>;
}
