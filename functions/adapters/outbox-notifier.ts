import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Language, Notification } from '../core/alarm-types';
import { routeNotification } from '../core/sms-routing';
import type { Clock } from '../ports/clock';
import type { Notifier, SendResult } from '../ports/notifier';
import type { SubscriptionChannel, SubscriptionStore } from '../ports/subscription-store';
import { jsonLine } from '../shared/json-lines';

/** One line of the local outbox (a fixed format, documented in the README): one per phone and language. */
export interface OutboxLine {
  /** When the SMS was sent, ISO-8601 UTC. */
  at: string;
  to: string;
  audience: Notification['audience'];
  severity: Notification['severity'];
  siteId: string;
  deviceId: string;
  alarmId: string;
  lang: Language;
  text: string;
}

export interface OutboxNotifierOptions {
  /** `$DATA_DIR/outbox/sms.jsonl`; its folder is created when missing. */
  file: string;
  subscriptions: Pick<SubscriptionStore, 'list'>;
  clock: Clock;
  /** Where the human-readable copy of each SMS goes (the console). */
  print?: (line: string) => void;
}

/**
 * The local stand-in for SNS: sends nothing, but writes every SMS the service would send, one JSON line per phone
 * and language, to the outbox file and prints it. Routing happens here with `routeNotification`, the rule the
 * phones' SNS filter policies (`phoneFilterPolicy`) apply in the cloud: a phone whose subscriptions match twice
 * still gets one SMS per language.
 */
export class OutboxNotifier implements Notifier {
  constructor(private readonly options: OutboxNotifierOptions) {}

  async send(n: Notification): Promise<SendResult> {
    const { file, subscriptions, clock, print } = this.options;
    const deliveries = routeNotification(await subscriptions.list({ audience: n.audience }), n);
    if (deliveries.length === 0) {
      print?.(
        `SMS not sent, no subscription matches: ${n.audience} ${n.severity} ${n.siteId} ${n.alarmId} (${n.kind})`,
      );
      return { recipients: 0, messageIds: [] };
    }
    const at = new Date(clock.now()).toISOString();
    const lines: OutboxLine[] = deliveries.map((d) => ({
      at,
      to: d.phone,
      audience: n.audience,
      severity: n.severity,
      siteId: n.siteId,
      deviceId: n.deviceId,
      alarmId: n.alarmId,
      lang: d.lang,
      text: n.text[d.lang],
    }));
    await mkdir(dirname(file), { recursive: true });
    // One append for all recipients: concurrent sends never interleave inside a line.
    await appendFile(file, lines.map(jsonLine).join(''), 'utf8');
    for (const l of lines) print?.(`SMS to ${l.to} (${l.audience}, ${l.lang}): ${l.text}`);
    return {
      recipients: new Set(deliveries.map((d) => d.phone)).size,
      // Named after the first subscription that routed it: unique per phone and language.
      messageIds: deliveries.map((d) => `outbox:${n.alarmId}:${n.kind}:${d.subscriptionIds[0]}`),
    };
  }
}

/** Locally the outbox reads subscriptions at send time, so nothing needs registering with a provider. */
export const outboxSubscriptionChannel: SubscriptionChannel = {
  route: async () => undefined,
  unroute: async () => undefined,
};
