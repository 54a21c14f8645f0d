import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { LANGUAGES, type Language, type Notification } from '../core/alarm-types';
import type { Notifier, SendResult } from '../ports/notifier';

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
 * whose attributes its filter policy accepts. SNS does not say how many phones that was, so `recipients` is 0.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(n: Notification): Promise<SendResult> {
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
      recipients: 0,
      messageIds: outputs.flatMap((o) => (o.MessageId === undefined ? [] : [o.MessageId])),
    };
  }
}
