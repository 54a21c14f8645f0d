/**
 * AWS list prices used by the cost model (`npm run bench`, `npm run bench:cost`): us-east-1, on-demand, first volume
 * tier, no free tier (a county's account may have used it up; docs/cost.md lists what the free tier would take off).
 * `asOf` is the day the figures were checked; each group names the pricing page it comes from. Figures marked
 * "unverified" were not on the pages available when checking: confirm them before quoting the bill. Change a price
 * here and nowhere else.
 */
export const PRICES = {
  asOf: '2026-07-20',
  region: 'us-east-1',
  /** "AWS IoT Core pricing" and "AWS IoT Core additional metering details". */
  iot: {
    /** Messaging, per message; a PUBLISH is metered on payload + topic in 5 KB blocks. Basic Ingest skips it. */
    perMessage: 1.0 / 1e6,
    messageBlockBytes: 5 * 1024,
    /** Connectivity, per minute a device stays connected (MQTT PINGREQ/PINGRESP are not metered). */
    perConnectionMinute: 0.08 / 1e6,
    /** Rules engine: per rule triggered and per action applied (each per 5 KB of processed message). */
    perRuleTriggered: 0.15 / 1e6,
    perRuleAction: 0.15 / 1e6,
  },
  /** "Amazon SQS pricing": standard queue. */
  sqs: {
    /** Per API request (SendMessage, ReceiveMessage, DeleteMessageBatch...); each 64 KB chunk of a payload is one. */
    perRequest: 0.4 / 1e6,
    requestChunkBytes: 64 * 1024,
  },
  /** "AWS Lambda pricing": arm64. */
  lambda: {
    /** Per GB-second of billed duration (1 ms granularity). */
    perGbSecondArm64: 0.0000133334,
    perRequest: 0.2 / 1e6,
  },
  /** "Amazon DynamoDB pricing for on-demand capacity" (throughput halved on 2024-11-01), Standard table class. */
  dynamodb: {
    /** One write request unit per started 1 KB written (a write to a GSI costs its own units). */
    perWriteRequestUnit: 0.625 / 1e6,
    /** One read request unit per started 4 KB read strongly consistent, half a unit eventually consistent. */
    perReadRequestUnit: 0.125 / 1e6,
    /** Storage, per GB-month; every item also counts 100 bytes of overhead. */
    perGbMonth: 0.25,
    itemOverheadBytes: 100,
    /** Continuous backups (point-in-time recovery), per GB-month of table size. */
    pitrPerGbMonth: 0.2,
  },
  /** "Amazon CloudWatch pricing". */
  cloudwatch: {
    /** Logs: ingestion (Standard log class) per GB, and archived (compressed) storage per GB-month. */
    logIngestPerGb: 0.5,
    logStoragePerGbMonth: 0.03,
    /** Each log event is metered with 26 bytes of metadata on top of its message ("CloudWatch Logs quotas"). */
    logEventOverheadBytes: 26,
    /** Standard-resolution alarm, per alarm-month. */
    perAlarm: 0.1,
    /** Per dashboard-month (beyond the 3 free). */
    perDashboard: 3.0,
    /** Custom metrics, per metric-month (first 10,000). */
    perCustomMetric: 0.3,
  },
  /** "AWS X-Ray pricing". */
  xray: {
    /** Per trace recorded. */
    perTraceRecorded: 5.0 / 1e6,
  },
  /** "Amazon API Gateway pricing": HTTP APIs, first 300 million requests. */
  apiGateway: {
    perHttpRequest: 1.0 / 1e6,
  },
  /** "Amazon EventBridge pricing": counted as an event per scheduled invocation (an upper bound). */
  eventbridge: {
    perEvent: 1.0 / 1e6,
  },
  /** "Amazon SNS pricing" and "AWS End User Messaging pricing" (SMS is billed per message part). */
  sns: {
    /** Publish API requests (the first 1 million a month are free). */
    perPublish: 0.5 / 1e6,
    /** Outbound SMS part to mainland China (+86), transactional. Unverified. */
    smsPartChina: 0.034,
    /** Outbound SMS part elsewhere, e.g. the US: base price plus a typical carrier fee. Unverified. */
    smsPartOther: 0.00881,
  },
  /** "AWS Key Management Service pricing": customer managed key, per key-month. */
  kms: {
    perKey: 1.0,
  },
  /** "Amazon Cognito pricing": user pool feature plan Plus, per monthly active user. Unverified. */
  cognito: {
    plusPerMau: 0.02,
  },
} as const;

/** The price table's shape, so a test can price with other figures. */
export type Prices = typeof PRICES;
