import 'aws-sdk-client-mock-vitest/extend';
import { IoTDataPlaneClient, PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import {
  FilterPolicyLimitExceededException,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IotLiveEvents } from '../../../functions/adapters/iot-live-events';
import { SnsNotifier } from '../../../functions/adapters/sns-notifier';
import { SnsSubscriptionChannel } from '../../../functions/adapters/sns-subscription-channel';
import type { Notification } from '../../../functions/core/alarm-types';
import { ConflictError } from '../../../functions/core/errors';
import { type Subscription, snsFilterPolicy } from '../../../functions/core/subscription';
import { BrokerLiveEvents } from '../../../infra/local/broker-live-events';

const TOPIC = 'arn:aws-cn:sns:cn-northwest-1:123456789012:pamir-alarms';

const notification: Notification = {
  audience: 'operators',
  severity: 'critical',
  siteId: 'plant-town',
  township: 'Tashkurgan Town',
  deviceId: 'wq-town-outlet',
  alarmId: 'A7K2M9QXR',
  kind: 'raised',
  text: { zh: '水质超标：塔什库尔干镇水厂 …', en: 'UNSAFE WATER: Tashkurgan Town water plant …' },
};

const attr = (StringValue: string) => ({ DataType: 'String', StringValue });

describe('SNS notifier', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());

  it('publishes one message per language with the attributes subscriptions filter on', async () => {
    sns.on(PublishCommand).resolvesOnce({ MessageId: 'm-zh' }).resolvesOnce({ MessageId: 'm-en' });

    const result = await new SnsNotifier(new SNSClient({}), TOPIC).send(notification);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    for (const lang of ['zh', 'en'] as const)
      expect(sns).toHaveReceivedCommandWith(PublishCommand, {
        TopicArn: TOPIC,
        Message: notification.text[lang],
        MessageAttributes: {
          audience: attr('operators'),
          severity: attr('critical'),
          siteId: attr('plant-town'),
          township: attr('Tashkurgan Town'),
          kind: attr('raised'),
          lang: attr(lang),
          deviceId: attr('wq-town-outlet'),
          alarmId: attr('A7K2M9QXR'),
          'AWS.SNS.SMS.SMSType': attr('Transactional'),
        },
      });
    expect(result.recipients).toBe(0);
    expect(result.messageIds.sort()).toEqual(['m-en', 'm-zh']);
  });

  it('fails the send when SNS refuses, so the alarm engine can retry', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));

    await expect(new SnsNotifier(new SNSClient({}), TOPIC).send(notification)).rejects.toThrow('Throttling');
  });
});

describe('SNS subscription channel', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());

  const sub: Subscription = {
    subscriptionId: 'sub-1',
    phone: '+8613800000001',
    audience: 'operators',
    siteIds: ['plant-town'],
    minSeverity: 'critical',
    lang: 'en',
    createdAt: '2025-11-28T04:00:00.000Z',
  };
  const policy = snsFilterPolicy(sub);
  const ARN = `${TOPIC}:0b6f-4c1e`;
  const channel = () => new SnsSubscriptionChannel(new SNSClient({}), TOPIC);
  // The errors as SNS sends them (Query protocol: Sender faults with these codes and messages).
  const alreadyExists = () =>
    new InvalidParameterException({
      message: 'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
      $metadata: { httpStatusCode: 400 },
    });
  const notFound = () =>
    new NotFoundException({ message: 'Subscription does not exist', $metadata: { httpStatusCode: 404 } });

  it('subscribes a new phone over SMS with the filter policy on message attributes', async () => {
    sns.on(SubscribeCommand).resolves({ SubscriptionArn: ARN });

    const ref = await channel().route(sub.phone, policy);

    expect(ref).toBe(ARN);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(SubscribeCommand, {
      TopicArn: TOPIC,
      Protocol: 'sms',
      Endpoint: '+8613800000001',
      ReturnSubscriptionArn: true,
      Attributes: {
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: JSON.stringify({
          audience: ['operators'],
          severity: ['critical'],
          lang: ['en'],
          siteId: ['plant-town'],
        }),
      },
    });
  });

  it('sets the policy of a known registration in place, without subscribing again', async () => {
    sns.on(SetSubscriptionAttributesCommand).resolves({});

    expect(await channel().route(sub.phone, policy, ARN)).toBe(ARN);

    expect(sns).toHaveReceivedCommandExactlyOnceWith(SetSubscriptionAttributesCommand, {
      SubscriptionArn: ARN,
      AttributeName: 'FilterPolicy',
      AttributeValue: JSON.stringify(policy),
    });
    expect(sns).not.toHaveReceivedCommand(SubscribeCommand);
  });

  it('subscribes again when the known registration is gone', async () => {
    sns.on(SetSubscriptionAttributesCommand).rejects(notFound());
    sns.on(SubscribeCommand).resolves({ SubscriptionArn: `${TOPIC}:new` });

    expect(await channel().route(sub.phone, policy, ARN)).toBe(`${TOPIC}:new`);
  });

  it('finds and updates the existing subscription when SNS says it exists with different attributes', async () => {
    sns.on(SubscribeCommand).rejects(alreadyExists());
    sns
      .on(ListSubscriptionsByTopicCommand)
      .resolvesOnce({
        Subscriptions: [{ SubscriptionArn: `${TOPIC}:other`, Protocol: 'sms', Endpoint: '+8613800000002' }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Subscriptions: [
          { SubscriptionArn: `${TOPIC}:mail`, Protocol: 'email', Endpoint: 'ops@example.cn' },
          { SubscriptionArn: ARN, Protocol: 'sms', Endpoint: '+8613800000001', TopicArn: TOPIC },
        ],
      });
    sns.on(SetSubscriptionAttributesCommand).resolves({});

    expect(await channel().route(sub.phone, policy)).toBe(ARN);

    expect(sns).toHaveReceivedCommandWith(ListSubscriptionsByTopicCommand, {
      TopicArn: TOPIC,
      NextToken: 'page-2',
    });
    expect(sns).toHaveReceivedCommandExactlyOnceWith(SetSubscriptionAttributesCommand, {
      SubscriptionArn: ARN,
      AttributeName: 'FilterPolicy',
      AttributeValue: JSON.stringify(policy),
    });
  });

  it('passes the refusal on when the existing subscription cannot be found, and other invalid parameters as they are', async () => {
    sns.on(SubscribeCommand).rejects(alreadyExists());
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    await expect(channel().route(sub.phone, policy)).rejects.toThrow(
      /already exists with different attributes/,
    );

    sns.reset();
    sns.on(SubscribeCommand).rejects(
      new InvalidParameterException({
        message: 'Invalid parameter: FilterPolicy: Filter policy is too complex',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(channel().route(sub.phone, policy)).rejects.toThrow('Filter policy is too complex');
    expect(sns).not.toHaveReceivedCommand(SetSubscriptionAttributesCommand);
  });

  it('turns the filter-policy quota into a 409 that says what to do', async () => {
    sns.on(SubscribeCommand).rejects(
      new FilterPolicyLimitExceededException({
        message:
          'Indicates that the number of filter polices in your Amazon Web Services account exceeds the limit. To add more filter polices, submit an Amazon SNS Limit Increase case in the Amazon Web Services Support Center.',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    const err = await channel()
      .route(sub.phone, policy)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(
      /^SNS refuses another filter policy \(Indicates that the number of filter polices/,
    );
    expect((err as Error).message).toMatch(/SMS_MAX_PHONES/);
  });

  it('unsubscribes by the known handle, or finds it, and takes an already removed subscription as done', async () => {
    sns.on(UnsubscribeCommand).resolvesOnce({}).rejectsOnce(notFound());
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [{ SubscriptionArn: ARN, Protocol: 'sms', Endpoint: '+8613800000001' }],
    });

    await channel().unroute(sub.phone, ARN);
    await channel().unroute(sub.phone);
    await channel().unroute('+8613800000009');

    expect(sns).toHaveReceivedCommandTimes(UnsubscribeCommand, 2);
    expect(sns).toHaveReceivedNthCommandWith(UnsubscribeCommand, 2, { SubscriptionArn: ARN });
  });

  it('passes other failures on', async () => {
    sns.on(UnsubscribeCommand).rejects(new Error('AuthorizationError'));
    await expect(channel().unroute(sub.phone, 'x')).rejects.toThrow('AuthorizationError');
  });
});

describe('SNS notifier recipients', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());
  const stored = (phone: string, overrides: Partial<Subscription> = {}): Subscription => ({
    subscriptionId: `s-${phone}-${overrides.audience ?? 'operators'}`,
    phone,
    audience: 'operators',
    minSeverity: 'warning',
    lang: 'zh',
    createdAt: '2025-11-28T04:00:00.000Z',
    ...overrides,
  });

  it('counts the phones the routing rule expects, a phone with two matching subscriptions once', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const subs = [
      stored('+8613800000001'),
      stored('+8613800000001', { subscriptionId: 'x', siteIds: ['plant-town'], lang: 'en' }),
      stored('+8613800000002', { siteIds: ['plant-dabudar'] }),
      stored('+8613800000003', { audience: 'engineers' }),
    ];
    const store = {
      list: async (f: { audience?: string } = {}) =>
        subs.filter((s) => !f.audience || s.audience === f.audience),
    };

    const result = await new SnsNotifier(new SNSClient({}), TOPIC, store).send(notification);

    expect(result.recipients).toBe(1);
  });

  it('still publishes, counting 0, when nobody matches or the subscriptions cannot be read', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const nobody = await new SnsNotifier(new SNSClient({}), TOPIC, { list: async () => [] }).send(
      notification,
    );
    const unreadable = await new SnsNotifier(new SNSClient({}), TOPIC, {
      list: async () => {
        throw new Error('AccessDeniedException');
      },
    }).send(notification);

    expect(nobody.recipients).toBe(0);
    expect(unreadable.recipients).toBe(0);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 4);
  });
});

describe('live events', () => {
  const iot = mockClient(IoTDataPlaneClient);
  beforeEach(() => iot.reset());

  it('publishes JSON at QoS 1 through the IoT Data Plane', async () => {
    iot.on(IotPublishCommand).resolves({});

    await new IotLiveEvents(new IoTDataPlaneClient({})).publish('evt/alarms/plant-town', { alarmId: 'A1' });

    expect(iot).toHaveReceivedCommandExactlyOnceWith(IotPublishCommand, {
      topic: 'evt/alarms/plant-town',
      qos: 1,
      contentType: 'application/json',
      payload: new TextEncoder().encode('{"alarmId":"A1"}'),
    });
  });

  it('publishes the same through the embedded broker', async () => {
    const published: { topic: string; payload: string; qos: number }[] = [];
    const broker = {
      publish: (
        packet: { topic: string; payload: string | Buffer; qos: number },
        done: (err?: Error) => void,
      ) => {
        published.push({ topic: packet.topic, payload: packet.payload.toString(), qos: packet.qos });
        done();
      },
    };

    await new BrokerLiveEvents(broker as never).publish('evt/alarms/plant-town', { alarmId: 'A1' });

    expect(published).toEqual([{ topic: 'evt/alarms/plant-town', payload: '{"alarmId":"A1"}', qos: 1 }]);
  });
});
