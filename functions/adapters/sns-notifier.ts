import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { LANGUAGES, type Language, type Notification } from '../core/alarm-types';
import { recipientPhones } from '../core/sms-routing';
import type { Notifier, SendResult } from '../ports/notifier';
import type { SubscriptionStore } from '../ports/subscription-store';
import { logger } from '../shared/logger';

/** The message attributes subscriptions filter on (`snsFilterPolicy`), plus context for whoever reads the topic. */
function smsMessageAttributes(n: Notification, lang: Language): Record<string, MessageAttributeValue> {
  const strings: Record<string, string> = {
    audience: n.audience,
    severity: n.severity,
    siteId: n.siteId,
    township: n.township,
    kind: n.kind,
    lang,
    deviceId: n.deviceId,
    alarmId: n.alarmId,
    // The queue message behind the alarm, so a delivery-status log line traces back to the ingest log.
    correlationId: n.correlationId ?? '',
  };
  const attributes: Record<string, MessageAttributeValue> = {
    // Transactional SMS get the better delivery route, and are not blocked by opt-outs meant for marketing.
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
  };
  // SNS rejects an attribute with an empty value.
  for (const [name, value] of Object.entries(strings))
    if (value !== '') attributes[name] = { DataType: 'String', StringValue: value };
  return attributes;
}

/**
 * Publishes a notification to the alarm topic, once per language; SNS hands each phone subscription the message
 * whose attributes its filter policy accepts. SNS does not say how many phones that was, so `recipients` is what
 * the routing rule expects from the stored subscriptions (the rule the filter policies are built from); a
 * notification that reaches nobody is logged as a warning. Counting is best effort: it never stops the SMS.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly subscriptions?: Pick<SubscriptionStore, 'list'>,
  ) {}

  private async expectedRecipients(n: Notification): Promise<number> {
    if (!this.subscriptions) return 0;
    try {
      const phones = recipientPhones(await this.subscriptions.list({ audience: n.audience }), n);
      if (phones.length === 0)
        logger.warn('SMS reaches nobody: no subscription matches', {
          audience: n.audience,
          severity: n.severity,
          siteId: n.siteId,
          alarmId: n.alarmId,
          kind: n.kind,
        });
      return phones.length;
    } catch (err) {
      logger.warn('SMS recipients not counted: subscriptions unreadable', {
        error: err as Error,
        alarmId: n.alarmId,
      });
      return 0;
    }
  }

  async send(n: Notification): Promise<SendResult> {
    const recipients = this.expectedRecipients(n);
    const outputs = await Promise.all(
      LANGUAGES.map((lang) =>
        this.client.send(
          new PublishCommand({
            TopicArn: this.topicArn,
            Message: n.text[lang],
            MessageAttributes: smsMessageAttributes(n, lang),
          }),
        ),
      ),
    );
    return {
      recipients: await recipients,
      messageIds: outputs.flatMap((o) => (o.MessageId === undefined ? [] : [o.MessageId])),
    };
  }
}
