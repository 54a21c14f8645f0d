/**
 * A phone's registration with the SMS provider: its handle and the filter policy last applied. Kept per phone
 * because SNS keeps one subscription per phone, shared by all of that phone's subscriptions.
 */
export interface PhoneRoute {
  phone: string;
  /** SNS SubscriptionArn; absent where the channel keeps none (the local outbox). */
  providerRef?: string;
  /** The applied filter policy, as JSON. */
  filterPolicy: string;
  /** ISO-8601 UTC. */
  updatedAt: string;
}

/** Where phone registrations are kept (the subscriptions table, as `phone#<e164>` items). */
export interface PhoneRoutes {
  get(phone: string): Promise<PhoneRoute | undefined>;
  put(route: PhoneRoute): Promise<void>;
  delete(phone: string): Promise<void>;
  list(): Promise<PhoneRoute[]>;
}
