import { NotFoundException, type SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { type Subscription, snsFilterPolicy } from '../core/subscription';
import type { SubscriptionChannel } from '../ports/subscription-store';

/**
 * Subscribes a phone to the alarm topic (protocol `sms`) with the filter policy equivalent to the subscription, over
 * message attributes, so SNS itself sends each phone the alarms it asked for in its language.
 */
export class SnsSubscriptionChannel implements SubscriptionChannel {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async subscribe(sub: Subscription): Promise<string | undefined> {
    const out = await this.client.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: 'sms',
        Endpoint: sub.phone,
        Attributes: {
          FilterPolicy: JSON.stringify(snsFilterPolicy(sub)),
          FilterPolicyScope: 'MessageAttributes',
        },
        ReturnSubscriptionArn: true,
      }),
    );
    return out.SubscriptionArn;
  }

  async unsubscribe(providerRef: string): Promise<void> {
    try {
      await this.client.send(new UnsubscribeCommand({ SubscriptionArn: providerRef }));
    } catch (err) {
      if (err instanceof NotFoundException) return;
      throw err;
    }
  }
}
