import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { documentClient } from './adapters/dynamodb/client';
import { DynamoSubscriptionStore } from './adapters/dynamodb/subscription-store';
import { IotLiveEvents } from './adapters/iot-live-events';
import { SnsNotifier } from './adapters/sns-notifier';
import { SnsSubscriptionChannel } from './adapters/sns-subscription-channel';
import { SqsDeadLetters } from './adapters/sqs-dead-letters';
import { createService, readServiceConfig, type Service } from './composition';
import { CHANNEL_ENV, DEAD_LETTER_ENV } from './contract';
import type { DeadLetterQueue } from './ports/dead-letters';
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
  const doc = documentClient();
  return createService(config, doc, {
    // Its own view of the subscriptions, to count the phones each SMS should reach.
    notifier: new SnsNotifier(sns, topicArn, new DynamoSubscriptionStore(doc, config.SUBSCRIPTIONS_TABLE)),
    subscriptionChannel: new SnsSubscriptionChannel(sns, topicArn),
    live: new IotLiveEvents(
      new IoTDataPlaneClient({ endpoint: `https://${channels[CHANNEL_ENV.iotDataEndpoint]}` }),
    ),
  });
}

/** The ingest dead-letter queue as deployed (the API function's environment, or the `dlq` command's flags). */
export function cloudDeadLetters(env: NodeJS.ProcessEnv = process.env): DeadLetterQueue {
  const c = readConfig(
    Object.fromEntries(Object.values(DEAD_LETTER_ENV).map((name) => [name, required])) as Record<
      (typeof DEAD_LETTER_ENV)[keyof typeof DEAD_LETTER_ENV],
      typeof required
    >,
    env,
  );
  return new SqsDeadLetters(new SQSClient({}), {
    deadLetterQueueUrl: c[DEAD_LETTER_ENV.deadLetterQueueUrl],
    deadLetterQueueArn: c[DEAD_LETTER_ENV.deadLetterQueueArn],
    sourceQueueUrl: c[DEAD_LETTER_ENV.ingestQueueUrl],
    sourceQueueArn: c[DEAD_LETTER_ENV.ingestQueueArn],
  });
}
