/** Environment variables for the notification channels (cloud only; locally the outbox and broker stand in). */
export const CHANNEL_ENV = {
  /** The SNS topic every alarm SMS is published to, with message attributes for subscription filters. */
  alarmTopicArn: 'ALARM_TOPIC_ARN',
  /** The account's IoT data endpoint (iot:Data-ATS), for live events on `evt/alarms/<siteId>`. */
  iotDataEndpoint: 'IOT_DATA_ENDPOINT',
} as const;

/** Environment variables through which the API function reaches the dead-letter queue and its source (cloud only). */
export const DEAD_LETTER_ENV = {
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  deadLetterQueueArn: 'DEAD_LETTER_QUEUE_ARN',
  ingestQueueUrl: 'INGEST_QUEUE_URL',
  ingestQueueArn: 'INGEST_QUEUE_ARN',
} as const;
