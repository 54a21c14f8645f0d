import type { Audience, Notification, NotificationKind } from '../core/alarm-types';
import { routeNotification } from '../core/sms-routing';
import type { Clock } from '../ports/clock';
import type { Notifier, SendResult } from '../ports/notifier';
import type { SubscriptionStore } from '../ports/subscription-store';

/** SMS counted by audience and notification kind, and by phone. */
export interface SmsTally {
  /** Notifications sent (one per audience, whatever the phones), by audience and kind. */
  byAudience: Map<Audience, Map<NotificationKind, number>>;
  /** SMS per phone (one per phone and language a notification reached), by kind. */
  byPhone: Map<string, Map<NotificationKind, number>>;
  /** Notifications no subscription matched: nobody would have received them. */
  unrouted: number;
  /** Every notification by the clock's time when it was sent (empty without a clock). */
  sent: { at: number; audience: Audience; kind: NotificationKind }[];
}

const bump = <K>(map: Map<K, Map<NotificationKind, number>>, key: K, kind: NotificationKind) => {
  const counts = map.get(key) ?? new Map<NotificationKind, number>();
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  map.set(key, counts);
};

/**
 * A notifier that sends nothing and counts what would have gone out (`npm run eval:events`): routed to phones by
 * `routeNotification` over the stored subscriptions at send time, as the local outbox does.
 */
export class CountingNotifier implements Notifier {
  readonly tally: SmsTally = { byAudience: new Map(), byPhone: new Map(), unrouted: 0, sent: [] };

  /** With `clock` (the replay's data clock) each notification is also logged with its time, for counts per period. */
  constructor(
    private readonly subscriptions: Pick<SubscriptionStore, 'list'>,
    private readonly clock?: Clock,
  ) {}

  async send(n: Notification): Promise<SendResult> {
    const deliveries = routeNotification(await this.subscriptions.list({ audience: n.audience }), n);
    bump(this.tally.byAudience, n.audience, n.kind);
    if (this.clock) this.tally.sent.push({ at: this.clock.now(), audience: n.audience, kind: n.kind });
    if (deliveries.length === 0) this.tally.unrouted++;
    for (const d of deliveries) bump(this.tally.byPhone, d.phone, n.kind);
    return {
      recipients: new Set(deliveries.map((d) => d.phone)).size,
      messageIds: deliveries.map((d) => `count:${n.alarmId}:${n.kind}:${d.subscriptionIds[0]}`),
    };
  }
}
