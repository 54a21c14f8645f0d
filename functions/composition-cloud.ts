import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SNSClient } from '@aws-sdk/client-sns';
import { CHANNEL_ENV } from '../infra/wiring';
import { documentClient } from './adapters/dynamodb/client';
import { IotLiveEvents } from './adapters/iot-live-events';
import { SnsNotifier } from './adapters/sns-notifier';
import { SnsSubscriptionChannel } from './adapters/sns-subscription-channel';
import { createService, readServiceConfig, type Service } from './composition';
import { readConfig, required } from './shared/config';

/** The service as deployed: configuration from the environment, SNS for SMS, IoT Data Plane for live events. */
export function cloudService(env: NodeJS.ProcessEnv = process.env): Service {
  const config = readServiceConfig(env);
  const channels = readConfig(
    { [CHANNEL_ENV.alarmTopicArn]: required, [CHANNEL_ENV.iotDataEndpoint]: required },
    env,
  );
  const topicArn = channels[CHANNEL_ENV.alarmTopicArn] as string;
  const sns = new SNSClient({});
  return createService(config, documentClient(), {
    notifier: new SnsNotifier(sns, topicArn),
    subscriptionChannel: new SnsSubscriptionChannel(sns, topicArn),
    live: new IotLiveEvents(
      new IoTDataPlaneClient({ endpoint: `https://${channels[CHANNEL_ENV.iotDataEndpoint]}` }),
    ),
  });
}
