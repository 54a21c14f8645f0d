import {
  FilterPolicyLimitExceededException,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { ConflictError } from '../core/errors';
import type { SnsFilterPolicy } from '../core/subscription';
import type { SubscriptionChannel } from '../ports/subscription-store';

/** What SNS says when the phone already has a subscription on the topic with another filter policy. */
const ALREADY_SUBSCRIBED = /already exists with different attributes/i;

/** SNS lists SMS endpoints as the number; compare digits only, whatever punctuation either side has. */
const digits = (phone: string) => phone.replace(/\D/g, '');

/**
 * One SNS `sms` subscription per phone on the alarm topic, its filter policy (over message attributes) the union of
 * the phone's subscriptions, so SNS itself sends each phone the alarms it asked for in its languages. SNS keeps one
 * subscription per topic, protocol and endpoint: a changed policy is set in place, never subscribed again.
 */
export class SnsSubscriptionChannel implements SubscriptionChannel {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async route(phone: string, policy: SnsFilterPolicy, knownRef?: string): Promise<string> {
    const filterPolicy = JSON.stringify(policy);
    try {
      if (knownRef !== undefined && (await this.setPolicy(knownRef, filterPolicy))) return knownRef;
      return await this.subscribe(phone, filterPolicy);
    } catch (err) {
      if (err instanceof FilterPolicyLimitExceededException)
        throw new ConflictError(
          `SNS refuses another filter policy (${err.message}); the default quota is 200 filter policies per topic: ` +
            'ask AWS for more, or lower SMS_MAX_PHONES below it',
          { cause: err },
        );
      throw err;
    }
  }

  async unroute(phone: string, knownRef?: string): Promise<void> {
    const ref = knownRef ?? (await this.findSubscription(phone));
    if (ref === undefined) return;
    try {
      await this.client.send(new UnsubscribeCommand({ SubscriptionArn: ref }));
    } catch (err) {
      if (err instanceof NotFoundException) return;
      throw err;
    }
  }

  /** Sets the policy of an existing subscription; false when SNS no longer has it. */
  private async setPolicy(subscriptionArn: string, filterPolicy: string): Promise<boolean> {
    try {
      await this.client.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName: 'FilterPolicy',
          AttributeValue: filterPolicy,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof NotFoundException) return false;
      throw err;
    }
  }

  /**
   * Subscribes the phone. SNS answers the existing ARN when the phone is already subscribed with identical
   * attributes; with other ones (a subscription from before the union, or one whose handle was lost in a crash) it
   * refuses, and the existing subscription is found and set in place.
   */
  private async subscribe(phone: string, filterPolicy: string): Promise<string> {
    try {
      const out = await this.client.send(
        new SubscribeCommand({
          TopicArn: this.topicArn,
          Protocol: 'sms',
          Endpoint: phone,
          Attributes: { FilterPolicy: filterPolicy, FilterPolicyScope: 'MessageAttributes' },
          ReturnSubscriptionArn: true,
        }),
      );
      if (out.SubscriptionArn === undefined) throw new Error(`SNS returned no SubscriptionArn for ${phone}`);
      return out.SubscriptionArn;
    } catch (err) {
      if (!(err instanceof InvalidParameterException && ALREADY_SUBSCRIBED.test(err.message))) throw err;
      const existing = await this.findSubscription(phone);
      if (existing === undefined) throw err;
      // The scope stays: every subscription this service makes is scoped to message attributes, SNS's default.
      if (!(await this.setPolicy(existing, filterPolicy))) throw err;
      return existing;
    }
  }

  /** The phone's SMS subscription on the topic, read page by page (SNS returns up to 100 per call). */
  private async findSubscription(phone: string): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: this.topicArn, NextToken: nextToken }),
      );
      const found = (out.Subscriptions ?? []).find(
        (s) => s.Protocol === 'sms' && s.Endpoint !== undefined && digits(s.Endpoint) === digits(phone),
      );
      // A pending subscription has no ARN yet; SMS ones are never pending, but nothing else can be set.
      if (found?.SubscriptionArn?.startsWith('arn:')) return found.SubscriptionArn;
      nextToken = out.NextToken;
    } while (nextToken);
    return undefined;
  }
}
