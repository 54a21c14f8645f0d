/**
 * The service's wiring, declared once. The CDK stacks and the local runtime (`npm start`) both read this file,
 * so topic filters, rule SQL, batch settings, tables, routes and schedules cannot drift apart.
 */

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  /** Environment variable through which functions receive the table name. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly ttlAttribute?: string;
  readonly globalIndexes?: readonly { name: string; partitionKey: KeyAttribute; sortKey?: KeyAttribute }[];
}

export const TABLES = {
  readings: {
    envVar: 'READINGS_TABLE',
    partitionKey: { name: 'deviceId', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'ttl',
  },
  devices: {
    envVar: 'DEVICES_TABLE',
    partitionKey: { name: 'deviceId', type: 'S' },
  },
  quarantine: {
    envVar: 'QUARANTINE_TABLE',
    partitionKey: { name: 'day', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'ttl',
  },
  /**
   * Alarm episodes (key `alarmId`), plus per-device index items (`dev#<deviceId>`: which alarm is open per condition),
   * flood-control windows (`flood#…`), history and notification log items (`hist#<alarmId>#<n>`, `note#…`),
   * heartbeats (`hb#<deviceId>`) and pending evaluations (`eval#<deviceId>`). Episodes are indexed under `open` and
   * `closed`; heartbeats, pending evaluations and undigested windows under their own `status` values.
   */
  alarms: {
    envVar: 'ALARMS_TABLE',
    partitionKey: { name: 'alarmId', type: 'S' },
    ttlAttribute: 'ttl',
    globalIndexes: [
      {
        name: 'byStatus',
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'raisedAt', type: 'N' },
      },
    ],
  },
  subscriptions: {
    envVar: 'SUBSCRIPTIONS_TABLE',
    partitionKey: { name: 'subscriptionId', type: 'S' },
  },
  /** Bin collection events (one item per detected collection), listed per township for the monthly report. */
  binEvents: {
    envVar: 'BIN_EVENTS_TABLE',
    partitionKey: { name: 'binId', type: 'S' },
    sortKey: { name: 'ts', type: 'N' },
    globalIndexes: [
      {
        name: 'byTownship',
        partitionKey: { name: 'township', type: 'S' },
        sortKey: { name: 'ts', type: 'N' },
      },
    ],
  },
} as const satisfies Record<string, TableSpec>;
export type TableName = keyof typeof TABLES;

/** Telemetry topics, one IoT rule each. Rule names are part of the device contract (Basic Ingest topics). */
export const TELEMETRY_RULES = [
  { kind: 'water', ruleName: 'pamir_telemetry_water', topicFilter: 'dt/water/+' },
  { kind: 'bin', ruleName: 'pamir_telemetry_bin', topicFilter: 'dt/bin/+' },
] as const;

/**
 * The rule forwards every message, JSON or not, as an envelope the ingest function understands. Encoding the payload
 * as base64 keeps the raw bytes of a malformed message for the quarantine.
 */
export function telemetryRuleSql(topicFilter: string): string {
  return `SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS receivedAt FROM '${topicFilter}'`;
}
export const IOT_SQL_VERSION = '2016-03-23';

/** The body of one SQS message, as the IoT rule writes it and the local router imitates it. */
export interface IngestEnvelope {
  payload: string;
  topic: string;
  clientId?: string;
  receivedAt: number;
}

export const INGEST_QUEUE = {
  /** Records per ingest invocation. */
  batchSize: 100,
  /** Wait up to this long to fill a batch (SQS requires ≥ 1 s for batches above 10). */
  maxBatchingWindowS: 1,
  /** Six times the function timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutS: 120,
  /** Deliveries before a message goes to the dead-letter queue. */
  maxReceiveCount: 5,
  dlqRetentionDays: 14,
} as const;

export const FUNCTIONS = {
  ingest: { entry: 'functions/handlers/ingest.ts', memoryMb: 512, timeoutS: 20 },
  api: { entry: 'functions/handlers/api.ts', memoryMb: 512, timeoutS: 10 },
  /** Reminders, escalation, offline detection, shelve expiry and flood digests. */
  alarmSweep: { entry: 'functions/handlers/alarm-sweep.ts', memoryMb: 512, timeoutS: 60 },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{id}` is a path parameter. */
  readonly path: string;
}

/** Every HTTP route; all require authentication. The API function serves them all. */
export const API_ROUTES = [
  { method: 'GET', path: '/devices' },
  { method: 'GET', path: '/devices/{id}' },
  { method: 'GET', path: '/devices/{id}/readings' },
  { method: 'GET', path: '/devices/{id}/latest' },
  { method: 'GET', path: '/quarantine' },
  { method: 'GET', path: '/alarms' },
  { method: 'GET', path: '/alarms/{id}' },
  { method: 'POST', path: '/alarms/{id}/ack' },
  { method: 'POST', path: '/alarms/{id}/shelve' },
  { method: 'POST', path: '/devices/{id}/maintenance' },
  { method: 'GET', path: '/subscriptions' },
  { method: 'POST', path: '/subscriptions' },
  { method: 'DELETE', path: '/subscriptions/{id}' },
  { method: 'GET', path: '/bins' },
  // A static segment before the `{id}` route: API Gateway prefers it, and the local server matches in this order.
  { method: 'GET', path: '/bins/collections' },
  { method: 'GET', path: '/bins/{id}' },
  { method: 'GET', path: '/dead-letters' },
  { method: 'POST', path: '/dead-letters/redrive' },
] as const satisfies readonly RouteSpec[];

export interface ScheduleSpec {
  readonly id: string;
  readonly function: FunctionName;
  readonly everyMinutes: number;
}

/** Scheduled jobs (EventBridge in the cloud, a timer locally). */
export const SCHEDULES: readonly ScheduleSpec[] = [
  { id: 'alarm-sweep', function: 'alarmSweep', everyMinutes: 1 },
];

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

/** Live alarm events for consoles. */
export const alarmEventTopic = (siteId: string) => `evt/alarms/${siteId}`;

/**
 * Log messages that pipeline-health metric filters count (the functions log JSON with a `message` key).
 * `evaluationStuck`: the alarm sweep could not evaluate a device's stored samples for a long time.
 */
export const HEALTH_LOG_EVENTS = { evaluationStuck: 'alarm evaluation stuck' } as const;

/** Non-secret settings with documented defaults; resource names have none. */
export const SETTINGS = {
  retentionDaysEnv: 'RETENTION_DAYS',
  retentionDaysDefault: 400,
  quarantineRetentionDaysEnv: 'QUARANTINE_RETENTION_DAYS',
  quarantineRetentionDaysDefault: 90,
} as const;
