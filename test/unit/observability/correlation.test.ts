import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../../functions/adapters/sns-notifier';
import type { Notification } from '../../../functions/core/alarm-types';

const TOPIC = 'arn:aws-cn:sns:cn-northwest-1:123456789012:pamir-alarms';
const sns = mockClient(SNSClient);
beforeEach(() => sns.reset());

const notification: Notification = {
  audience: 'operators',
  severity: 'critical',
  siteId: 'plant-town',
  township: 'Tashkurgan Town',
  deviceId: 'wq-town-outlet',
  alarmId: 'A7K2M9QXR',
  kind: 'raised',
  text: { zh: '水质超标', en: 'UNSAFE WATER' },
};

describe('correlation id on the SMS', () => {
  it('is sent as the SNS message attribute correlationId', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });

    await new SnsNotifier(new SNSClient({}), TOPIC).send({ ...notification, correlationId: 'sqs-msg-1' });

    for (const call of sns.commandCalls(PublishCommand))
      expect(call.args[0].input.MessageAttributes?.correlationId).toEqual({
        DataType: 'String',
        StringValue: 'sqs-msg-1',
      });
  });

  it('is left out when the notification has none (SNS refuses an empty attribute)', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });

    await new SnsNotifier(new SNSClient({}), TOPIC).send(notification);

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).not.toHaveProperty(
      'correlationId',
    );
  });
});
