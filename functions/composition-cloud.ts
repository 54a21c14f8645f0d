import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CachedDeviceRegistry } from './adapters/cached-device-registry';
import { documentClient } from './adapters/dynamodb/client';
import { DynamoDeviceRegistry } from './adapters/dynamodb/device-registry';
import { DynamoReadingStore } from './adapters/dynamodb/reading-store';
import { DynamoRollupStore } from './adapters/dynamodb/rollup-store';
import { DynamoSubscriptionStore } from './adapters/dynamodb/subscription-store';
import { IotLiveEvents } from './adapters/iot-live-events';
import { PowertoolsServiceMetrics } from './adapters/powertools-metrics';
import { SnsNotifier } from './adapters/sns-notifier';
import { SnsSubscriptionChannel } from './adapters/sns-subscription-channel';
import { SqsDeadLetters } from './adapters/sqs-dead-letters';
import { SqsIngestRequeue } from './adapters/sqs-requeue';
import { createService, readServiceConfig, type Service } from './composition';
import { CHANNEL_ENV, DEAD_LETTER_ENV } from './contract';
import { systemClock } from './ports/clock';
import type { DeadLetterQueue } from './ports/dead-letters';
import type { IngestRequeue } from './ports/ingest-requeue';
import { readConfig, required } from './shared/config';
import type { RollupJobDeps } from './use-cases/rollup-job';

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
  return createService(
    config,
    doc,
    {
      // Its own view of the subscriptions, to count the phones each SMS should reach.
      notifier: new SnsNotifier(sns, topicArn, new DynamoSubscriptionStore(doc, config.SUBSCRIPTIONS_TABLE)),
      subscriptionChannel: new SnsSubscriptionChannel(sns, topicArn),
      live: new IotLiveEvents(
        new IoTDataPlaneClient({ endpoint: `https://${channels[CHANNEL_ENV.iotDataEndpoint]}` }),
      ),
    },
    { metrics: cloudMetrics(env) },
  );
}

/**
 * The service's CloudWatch metrics (Powertools Metrics, EMF): namespace from `POWERTOOLS_METRICS_NAMESPACE` (else
 * `SERVICE_METRICS.namespace`), the `stage` dimension from `STAGE`, the service name from `POWERTOOLS_SERVICE_NAME`.
 */
function cloudMetrics(env: NodeJS.ProcessEnv) {
  return new PowertoolsServiceMetrics({
    stage: env.STAGE || 'default',
    ...(env.POWERTOOLS_METRICS_NAMESPACE ? { namespace: env.POWERTOOLS_METRICS_NAMESPACE } : {}),
    ...(env.POWERTOOLS_SERVICE_NAME ? { serviceName: env.POWERTOOLS_SERVICE_NAME } : {}),
  });
}

/**
 * Where the ingest function re-enqueues what one invocation defers: the ingest queue (`INGEST_QUEUE_URL`). Without
 * it deferred messages are returned as batch item failures, and SQS counts their receive.
 */
export function cloudIngestRequeue(env: NodeJS.ProcessEnv = process.env): IngestRequeue | undefined {
  const url = env[DEAD_LETTER_ENV.ingestQueueUrl];
  return url ? new SqsIngestRequeue(new SQSClient({}), url) : undefined;
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

/**
 * The roll-up job as deployed: tables only. It raises no alarms, so it has neither the alarm topic nor the IoT data
 * endpoint (nor their grants), which `cloudService` requires.
 */
export function cloudRollupJobDeps(env: NodeJS.ProcessEnv = process.env): RollupJobDeps {
  const config = readServiceConfig(env);
  const doc = documentClient();
  const rollups = new DynamoRollupStore(doc, config.ROLLUPS_TABLE);
  return {
    rollups,
    jobStore: rollups,
    readings: new DynamoReadingStore(doc, config.READINGS_TABLE),
    registry: new CachedDeviceRegistry(new DynamoDeviceRegistry(doc, config.DEVICES_TABLE), systemClock),
    clock: systemClock,
  };
}
