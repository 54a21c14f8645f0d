import 'aws-sdk-client-mock-vitest/extend';
import { IoTDataPlaneClient, PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import {
  NotFoundException,
  PublishCommand,
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
import type { Subscription } from '../../../functions/core/subscription';
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

  it('subscribes the phone over SMS with the filter policy on message attributes', async () => {
    sns.on(SubscribeCommand).resolves({ SubscriptionArn: `${TOPIC}:abc` });

    const ref = await new SnsSubscriptionChannel(new SNSClient({}), TOPIC).subscribe(sub);

    expect(ref).toBe(`${TOPIC}:abc`);
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

  it('unsubscribes, and takes an already removed subscription as done', async () => {
    sns
      .on(UnsubscribeCommand)
      .resolvesOnce({})
      .rejectsOnce(new NotFoundException({ message: 'gone', $metadata: {} }));
    const channel = new SnsSubscriptionChannel(new SNSClient({}), TOPIC);

    await channel.unsubscribe(`${TOPIC}:abc`);
    await channel.unsubscribe(`${TOPIC}:abc`);

    expect(sns).toHaveReceivedCommandWith(UnsubscribeCommand, { SubscriptionArn: `${TOPIC}:abc` });
  });

  it('passes other failures on', async () => {
    sns.on(UnsubscribeCommand).rejects(new Error('AuthorizationError'));
    await expect(new SnsSubscriptionChannel(new SNSClient({}), TOPIC).unsubscribe('x')).rejects.toThrow(
      'AuthorizationError',
    );
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
