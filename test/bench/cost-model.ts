import { PRICES } from './prices';

const MINUTES_PER_MONTH = 30 * 24 * 60;
const SECONDS_PER_MONTH = MINUTES_PER_MONTH * 60;
const GB = 1024 ** 3;

/** One sample a minute for a 30-day month. */
export const SAMPLES_PER_DEVICE_MONTH = MINUTES_PER_MONTH;

/** The fleet and how it reports. */
export interface Fleet {
  devices: number;
  /** Samples per device per minute (1 in every figure the bench prints). */
  samplesPerMinute: number;
  /** Samples per MQTT message: 1 today; device-side batching sends several in one. */
  samplesPerMessage: number;
}

/**
 * What the bill depends on besides the fleet: measured figures (with where they were measured) and chosen
 * settings. `DEFAULT_USAGE` holds the documented values; `npm run bench` replaces the measured ones with its own.
 */
export interface Usage {
  /** Wire bytes of one sample inside a message (JSON `{ts,seq,m}`), measured from the simulator's payloads. */
  sampleWireBytes: number;
  /** Bytes of a message besides its samples: topic, `{"v":1,...}` envelope. */
  messageOverheadBytes: number;
  /** The SQS event source: batch size and batching window (`INGEST_QUEUE`). */
  batchSize: number;
  batchingWindowS: number;
  /** Messages one ReceiveMessage or DeleteMessageBatch request carries at most (SQS's limit is 10). */
  messagesPerSqsRequest: number;
  /** The event source's pollers on an idle queue and their long-poll wait (20 s: 3 empty receives a minute each). */
  idlePollers: number;
  longPollWaitS: number;
  /** Ingest duration per invocation: fixed part (DynamoDB round trips) plus a part per sample. */
  ingestBaseMs: number;
  ingestPerSampleMs: number;
  ingestMemoryMb: number;
  /** Write units per stored sample across all tables (1: one reading item under 1 KB). */
  writeUnitsPerSample: number;
  /**
   * Heartbeats: each device is due at most once per offline threshold (in minutes); an invocation writes its due
   * devices as one heartbeat batch item, at these write units per KB (1 in the table, 1 in the `byStatus` index: a
   * new item, so no index delete), each device's entry this many bytes (an 8-character id, a number, overhead) and
   * the item's own attributes (key, status, write time, TTL) this many.
   */
  heartbeatUnitsPerKb: number;
  heartbeatEntryBytes: number;
  heartbeatItemBytes: number;
  heartbeatThresholdMin: number;
  /** Read units per stored sample in the ingest path (registry, open-alarm index, alarm history queries). */
  readUnitsPerSample: number;
  /** Stored reading item size, bytes (attribute names + values). */
  itemBytes: number;
  /** How long readings are kept (TTL, `RETENTION_DAYS`). */
  retentionDays: number;
  /** Alarms raised per device-month and write units each (episode, index, history, notification log). */
  alarmsPerDeviceMonth: number;
  writeUnitsPerAlarm: number;
  /** Notifications per alarm (raised, cleared), each published once per language, to this many phones. */
  notificationsPerAlarm: number;
  languages: number;
  phonesPerNotification: number;
  /** SMS parts per message (a Chinese alarm text of 70–140 characters is 2 UCS-2 parts) and the share sent to +86. */
  smsPartsPerMessage: number;
  smsShareChina: number;
  /**
   * The minute sweep: runs per month, its duration, the bytes it reads per device in a full pass (its device item and
   * heartbeat), how often a warm sweep makes a full pass (between them one query returns only due heartbeats), fixed
   * queries per run.
   */
  sweepRunsPerMonth: number;
  sweepFullPassEveryRuns: number;
  sweepBaseMs: number;
  sweepPerDeviceMs: number;
  sweepMemoryMb: number;
  sweepBytesPerDevice: number;
  sweepFixedReadUnits: number;
  /**
   * The event detector (docs/event-detection.md) on the share of devices it watches: water devices reporting at least
   * every 2 minutes (every water device when all send once a minute: 10 of the example county's 18). Per watched
   * sample, at about one sample of a device per batch (live): its longer history Query (68 items of `itemBytes`
   * instead of the conditions' 41: one more 4 KB unit, eventually consistent, 0.5), its state in the batch's
   * BatchGetItem (1.2 KB packed: one unit, eventually consistent, 0.5), the hour's learning (128 items, 3 units more
   * once an hour, 0.025 a sample). Its state is written once an hour of a device's data, 2 write units.
   */
  detectorDeviceShare: number;
  detectorReadUnitsPerSample: number;
  detectorWriteUnitsPerDeviceHour: number;
  /**
   * Roll-ups (docs/rollups.md), per device-month at one sample a minute, measured by `npm run bench` part h on
   * dynalite: ingest's touched-hour marks, the job's writes (hourly items, the daily item rewritten as each hour of
   * it is rolled up, its state) and reads (the hours' readings, the day's hourly items, marks). Dynalite reports no
   * index units: every daily-item write also writes the `byTownshipMonth` index (`rollupIndexWritesPerDeviceMonth`).
   * The job runs every 15 min for `rollupJobMsPerDeviceDay` per device-day at `rollupJobMemoryMb`. Storage: hourly
   * items kept `rollupHourRetentionDays`, daily items kept (counted over `rollupDayMonthsKept`), the daily ones twice
   * (table and index, which projects every attribute).
   */
  rollupMarkUnitsPerDeviceMonth: number;
  rollupJobWriteUnitsPerDeviceMonth: number;
  rollupIndexWritesPerDeviceMonth: number;
  rollupJobReadUnitsPerDeviceMonth: number;
  rollupRunsPerMonth: number;
  rollupJobMsPerDeviceDay: number;
  rollupJobBaseMs: number;
  rollupJobMemoryMb: number;
  rollupHourItemBytes: number;
  rollupDayItemBytes: number;
  rollupHourRetentionDays: number;
  rollupDayMonthsKept: number;
  /** HTTP API calls a month, their duration and read units. */
  apiCallsPerMonth: number;
  apiMs: number;
  apiMemoryMb: number;
  apiReadUnitsPerCall: number;
  /** Log bytes per invocation: Lambda's START/END/REPORT lines plus the function's own lines at its log level. */
  platformLogBytes: number;
  ingestLogBytes: number;
  sweepLogBytes: number;
  apiLogBytes: number;
  /** Log events per invocation: Lambda's platform lines, and each function's own lines at its log level. */
  platformLogEvents: number;
  ingestLogEvents: number;
  sweepLogEvents: number;
  apiLogEvents: number;
  /** Archived log size over ingested size (CloudWatch stores logs compressed), and retention in months. */
  logCompression: number;
  logRetentionMonths: number;
  /**
   * X-Ray active tracing of the functions (`-c tracing=`, infra/constructs/deployment-settings.ts): `off` records no
   * traces, `active` records what Lambda samples (below).
   */
  tracing: 'off' | 'active';
  /** X-Ray sampling per function when active: a reservoir of traces per second, then a fixed rate of the rest. */
  xrayReservoirPerS: number;
  xrayRate: number;
  /** Fixed: CloudWatch alarms, dashboards, custom metrics, KMS keys, Cognito monthly active users. */
  cloudwatchAlarms: number;
  dashboards: number;
  customMetrics: number;
  kmsKeys: number;
  cognitoMau: number;
}

/**
 * Documented defaults. Measured: item size, read units, per-sample duration (`npm run bench` b, c on dynalite);
 * log line sizes (the Powertools logger's output, `npm run bench:cost`). The rest are stated assumptions
 * (docs/cost.md says why each is what it is).
 */
export const DEFAULT_USAGE: Usage = {
  sampleWireBytes: 150,
  messageOverheadBytes: 40,
  batchSize: 100,
  batchingWindowS: 1,
  messagesPerSqsRequest: 10,
  idlePollers: 5,
  longPollWaitS: 20,
  ingestBaseMs: 40,
  ingestPerSampleMs: 0.34,
  ingestMemoryMb: 512,
  writeUnitsPerSample: 1,
  heartbeatUnitsPerKb: 2,
  heartbeatEntryBytes: 20,
  heartbeatItemBytes: 110,
  heartbeatThresholdMin: 3,
  readUnitsPerSample: 0.18,
  itemBytes: 170,
  retentionDays: 400,
  alarmsPerDeviceMonth: 0.5,
  writeUnitsPerAlarm: 8,
  notificationsPerAlarm: 2,
  languages: 2,
  phonesPerNotification: 2,
  smsPartsPerMessage: 2,
  smsShareChina: 1,
  sweepRunsPerMonth: MINUTES_PER_MONTH,
  sweepBaseMs: 60,
  sweepPerDeviceMs: 0.02,
  sweepMemoryMb: 512,
  sweepBytesPerDevice: 600,
  sweepFullPassEveryRuns: 10,
  sweepFixedReadUnits: 4,
  detectorDeviceShare: 10 / 18,
  detectorReadUnitsPerSample: 1.025,
  detectorWriteUnitsPerDeviceHour: 2,
  // Measured (bench part h: 20 devices, 2 days live, job every 15 min): 36 WRU marks, 1,554 WRU job writes (of
  // which ~100 the job's state, shared by the devices of a run), 2,892 RRU job reads, 548–1,272 ms per device-day
  // (two runs on a shared 2-core machine; the larger is kept).
  rollupMarkUnitsPerDeviceMonth: 36,
  rollupJobWriteUnitsPerDeviceMonth: 1_450,
  rollupIndexWritesPerDeviceMonth: 720,
  rollupJobReadUnitsPerDeviceMonth: 2_900,
  rollupRunsPerMonth: 4 * 24 * 30,
  rollupJobMsPerDeviceDay: 1_272,
  rollupJobBaseMs: 150,
  rollupJobMemoryMb: 1024,
  rollupHourItemBytes: 620,
  rollupDayItemBytes: 700,
  rollupHourRetentionDays: 1_100,
  rollupDayMonthsKept: 36,
  apiCallsPerMonth: 30_000,
  apiMs: 40,
  apiMemoryMb: 512,
  apiReadUnitsPerCall: 8,
  platformLogBytes: 420,
  ingestLogBytes: 330,
  sweepLogBytes: 380,
  apiLogBytes: 0,
  platformLogEvents: 3,
  ingestLogEvents: 1,
  sweepLogEvents: 1,
  apiLogEvents: 0,
  logCompression: 0.15,
  logRetentionMonths: 1,
  // The deployed default (`-c tracing=off`); the bench reads the synthesised functions' tracing mode.
  tracing: 'off',
  xrayReservoirPerS: 1,
  xrayRate: 0.05,
  cloudwatchAlarms: 9,
  dashboards: 1,
  customMetrics: 6,
  kmsKeys: 1,
  cognitoMau: 20,
};

export interface BillLine {
  item: string;
  /** Billed quantity per month. */
  quantity: number;
  unit: string;
  usd: number;
  /** True for a cost that does not grow with the fleet. */
  fixed: boolean;
}

export interface Bill {
  fleet: Fleet;
  lines: BillLine[];
  total: number;
  perDevice: number;
  /** Per month: samples, messages, ingest invocations, and the mean messages per invocation. */
  samples: number;
  messages: number;
  invocations: number;
  batchFill: number;
}

/**
 * Messages per ingest invocation at a steady `messagesPerS`: the event source gathers for up to the batching window
 * or until the batch is full, so a batch holds what arrives in one window (at least 1, at most the batch size).
 */
export function batchFill(messagesPerS: number, batchingWindowS: number, batchSize: number): number {
  return Math.min(batchSize, Math.max(1, messagesPerS * batchingWindowS));
}

/**
 * Traces recorded per month for a function invoked `invocationsPerS` on average (Poisson arrivals): the reservoir
 * takes the first `reservoirPerS` requests of each second, which for a rate λ and a reservoir of 1 is on average
 * 1 − e^−λ a second; the fixed rate samples the rest.
 */
export function tracesPerMonth(invocationsPerS: number, reservoirPerS: number, rate: number): number {
  if (invocationsPerS <= 0) return 0;
  const reservoir =
    reservoirPerS <= 0
      ? 0
      : Math.min(invocationsPerS, reservoirPerS * (1 - Math.exp(-invocationsPerS / reservoirPerS)));
  return (reservoir + rate * (invocationsPerS - reservoir)) * SECONDS_PER_MONTH;
}

/**
 * Write units a month for `entries` due heartbeats spread over `invocations`: each invocation with a due device
 * writes one heartbeat batch item, billed per KB (rounded up) in the table and in the index.
 */
export function heartbeatWriteUnits(entries: number, invocations: number, u: Usage = DEFAULT_USAGE): number {
  if (entries <= 0 || invocations <= 0) return 0;
  const writes = Math.min(invocations, entries);
  const bytes = (entries / writes) * u.heartbeatEntryBytes + u.heartbeatItemBytes;
  return writes * u.heartbeatUnitsPerKb * Math.ceil(bytes / 1024);
}

/** Monthly bill of a fleet, line by line, from the usage figures and the price table. */
export function monthlyBill(fleet: Fleet, u: Usage = DEFAULT_USAGE, p = PRICES): Bill {
  const samples = fleet.devices * fleet.samplesPerMinute * MINUTES_PER_MONTH;
  const messages = samples / fleet.samplesPerMessage;
  const messagesPerS = messages / SECONDS_PER_MONTH;
  const fill = batchFill(messagesPerS, u.batchingWindowS, u.batchSize);
  const invocations = messages / fill;
  const messageBytes = u.messageOverheadBytes + fleet.samplesPerMessage * u.sampleWireBytes;
  const blocks = Math.ceil(messageBytes / p.iot.messageBlockBytes);
  // The rule's SQS envelope is the base64 payload plus topic, client id and timestamp.
  const envelopeBytes = Math.ceil(messageBytes / 3) * 4 + 120;
  const chunks = Math.ceil(envelopeBytes / p.sqs.requestChunkBytes);
  const sqsRequestsPerBatch = Math.ceil(fill / u.messagesPerSqsRequest);
  const idleReceives = u.idlePollers * (60 / u.longPollWaitS) * MINUTES_PER_MONTH;

  const gbS = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);
  const ingestGbS =
    invocations *
    gbS(u.ingestBaseMs + fill * fleet.samplesPerMessage * u.ingestPerSampleMs, u.ingestMemoryMb);
  const sweepGbS =
    u.sweepRunsPerMonth * gbS(u.sweepBaseMs + fleet.devices * u.sweepPerDeviceMs, u.sweepMemoryMb);
  const apiGbS = u.apiCallsPerMonth * gbS(u.apiMs, u.apiMemoryMb);
  // The roll-ups scale with devices; the job's reads also with the samples it reads.
  const deviceMonths = fleet.devices;
  const rollupGbS =
    u.rollupRunsPerMonth * gbS(u.rollupJobBaseMs, u.rollupJobMemoryMb) +
    deviceMonths * 30 * gbS(u.rollupJobMsPerDeviceDay, u.rollupJobMemoryMb);

  const heartbeatWrites = heartbeatWriteUnits(
    fleet.devices * Math.min(messages / fleet.devices, MINUTES_PER_MONTH / u.heartbeatThresholdMin),
    invocations,
    u,
  );
  const alarms = fleet.devices * u.alarmsPerDeviceMonth;
  // Every run's fixed queries; on a full pass also the registry scan and every heartbeat (eventually consistent, half
  // a unit per 4 KB). Every run also reads the heartbeat batches written since the last (with a minute's overlap:
  // two minutes of entries).
  const heartbeatEntriesPerMinute = Math.min(
    messages / MINUTES_PER_MONTH,
    fleet.devices / u.heartbeatThresholdMin,
  );
  const sweepReads =
    u.sweepRunsPerMonth * u.sweepFixedReadUnits +
    (u.sweepRunsPerMonth / u.sweepFullPassEveryRuns) *
      Math.ceil((fleet.devices * u.sweepBytesPerDevice) / 4096) *
      0.5 +
    u.sweepRunsPerMonth * Math.ceil((2 * heartbeatEntriesPerMinute * u.heartbeatEntryBytes) / 4096) * 0.5 +
    // A full pass reads the batches of twice the threshold afresh.
    (u.sweepRunsPerMonth / u.sweepFullPassEveryRuns) *
      Math.ceil((2 * u.heartbeatThresholdMin * heartbeatEntriesPerMinute * u.heartbeatEntryBytes) / 4096) *
      0.5;
  const storedGb = (bytesPerItem: number, items: number) =>
    (items * (bytesPerItem + p.dynamodb.itemOverheadBytes)) / GB;
  const readingsGb = storedGb(u.itemBytes, (samples / 30) * u.retentionDays);
  const rollupsGb =
    storedGb(u.rollupHourItemBytes, fleet.devices * 24 * u.rollupHourRetentionDays) +
    2 * storedGb(u.rollupDayItemBytes, fleet.devices * 30 * u.rollupDayMonthsKept);

  // Each event is metered with its metadata overhead on top of its bytes.
  const logBytes = (runs: number, ownBytes: number, ownEvents: number) =>
    runs *
    (u.platformLogBytes + ownBytes + (u.platformLogEvents + ownEvents) * p.cloudwatch.logEventOverheadBytes);
  const logGb =
    (logBytes(invocations, u.ingestLogBytes, u.ingestLogEvents) +
      logBytes(u.sweepRunsPerMonth, u.sweepLogBytes, u.sweepLogEvents) +
      logBytes(u.apiCallsPerMonth, u.apiLogBytes, u.apiLogEvents)) /
    GB;
  const traced = (perMonth: number) =>
    u.tracing === 'active'
      ? tracesPerMonth(perMonth / SECONDS_PER_MONTH, u.xrayReservoirPerS, u.xrayRate)
      : 0;
  const traces = traced(invocations) + traced(u.sweepRunsPerMonth) + traced(u.apiCallsPerMonth);
  const notifications = alarms * u.notificationsPerAlarm;
  const smsParts = notifications * u.phonesPerNotification * u.smsPartsPerMessage;

  const line = (item: string, quantity: number, unit: string, price: number, fixed = false): BillLine => ({
    item,
    quantity,
    unit,
    usd: quantity * price,
    fixed,
  });
  const lines: BillLine[] = [
    line('IoT Core messaging', messages * blocks, 'messages (5 KB)', p.iot.perMessage),
    line(
      'IoT Core connectivity',
      fleet.devices * MINUTES_PER_MONTH,
      'connection-min',
      p.iot.perConnectionMinute,
    ),
    line('IoT rules triggered', messages * blocks, 'rules', p.iot.perRuleTriggered),
    line('IoT rule actions (SQS)', messages * blocks, 'actions', p.iot.perRuleAction),
    line('SQS SendMessage (rule)', messages * chunks, 'requests', p.sqs.perRequest),
    line(
      'SQS receives (batches + idle polls)',
      invocations * sqsRequestsPerBatch + idleReceives,
      'requests',
      p.sqs.perRequest,
    ),
    line('SQS DeleteMessageBatch', invocations * sqsRequestsPerBatch, 'requests', p.sqs.perRequest),
    line(
      'Lambda requests',
      invocations + u.sweepRunsPerMonth + u.apiCallsPerMonth + u.rollupRunsPerMonth,
      'invocations',
      p.lambda.perRequest,
    ),
    line(
      'Lambda duration (arm64)',
      ingestGbS + sweepGbS + apiGbS + rollupGbS,
      'GB-s',
      p.lambda.perGbSecondArm64,
    ),
    line('DynamoDB writes: samples', samples * u.writeUnitsPerSample, 'WRU', p.dynamodb.perWriteRequestUnit),
    line('DynamoDB writes: heartbeats', heartbeatWrites, 'WRU', p.dynamodb.perWriteRequestUnit),
    line('DynamoDB writes: alarms', alarms * u.writeUnitsPerAlarm, 'WRU', p.dynamodb.perWriteRequestUnit),
    line(
      'DynamoDB writes: roll-ups (marks, items, index)',
      deviceMonths *
        (u.rollupMarkUnitsPerDeviceMonth +
          u.rollupJobWriteUnitsPerDeviceMonth +
          u.rollupIndexWritesPerDeviceMonth),
      'WRU',
      p.dynamodb.perWriteRequestUnit,
    ),
    line('DynamoDB reads: ingest', samples * u.readUnitsPerSample, 'RRU', p.dynamodb.perReadRequestUnit),
    line(
      'DynamoDB reads: roll-up job',
      deviceMonths * u.rollupJobReadUnitsPerDeviceMonth * fleet.samplesPerMinute,
      'RRU',
      p.dynamodb.perReadRequestUnit,
    ),
    line('DynamoDB reads: sweep', sweepReads, 'RRU', p.dynamodb.perReadRequestUnit),
    line(
      'DynamoDB reads: event detector (history, state)',
      samples * u.detectorDeviceShare * u.detectorReadUnitsPerSample,
      'RRU',
      p.dynamodb.perReadRequestUnit,
    ),
    line(
      'DynamoDB writes: event detector state',
      fleet.devices * u.detectorDeviceShare * 30 * 24 * u.detectorWriteUnitsPerDeviceHour,
      'WRU',
      p.dynamodb.perWriteRequestUnit,
    ),
    line(
      'DynamoDB reads: API',
      u.apiCallsPerMonth * u.apiReadUnitsPerCall,
      'RRU',
      p.dynamodb.perReadRequestUnit,
    ),
    line(
      `DynamoDB storage (${u.retentionDays} d of readings)`,
      readingsGb,
      'GB-month',
      p.dynamodb.perGbMonth,
    ),
    line(
      `DynamoDB storage (roll-ups: hours ${u.rollupHourRetentionDays} d, days ${u.rollupDayMonthsKept} months)`,
      rollupsGb,
      'GB-month',
      p.dynamodb.perGbMonth,
    ),
    line('DynamoDB PITR', readingsGb + rollupsGb, 'GB-month', p.dynamodb.pitrPerGbMonth),
    line('CloudWatch Logs ingestion', logGb, 'GB', p.cloudwatch.logIngestPerGb),
    line(
      'CloudWatch Logs storage',
      logGb * u.logCompression * u.logRetentionMonths,
      'GB-month',
      p.cloudwatch.logStoragePerGbMonth,
    ),
    line('X-Ray traces recorded', traces, 'traces', p.xray.perTraceRecorded),
    line(
      'EventBridge schedules',
      u.sweepRunsPerMonth + u.rollupRunsPerMonth,
      'events',
      p.eventbridge.perEvent,
      true,
    ),
    line('API Gateway HTTP API', u.apiCallsPerMonth, 'requests', p.apiGateway.perHttpRequest, true),
    line('SNS publishes', notifications * u.languages, 'requests', p.sns.perPublish),
    line('SMS to +86', smsParts * u.smsShareChina, 'parts', p.sns.smsPartChina),
    line('SMS elsewhere', smsParts * (1 - u.smsShareChina), 'parts', p.sns.smsPartOther),
    line('CloudWatch alarms', u.cloudwatchAlarms, 'alarms', p.cloudwatch.perAlarm, true),
    line('CloudWatch dashboard', u.dashboards, 'dashboards', p.cloudwatch.perDashboard, true),
    line('CloudWatch custom metrics', u.customMetrics, 'metrics', p.cloudwatch.perCustomMetric, true),
    line('KMS key', u.kmsKeys, 'keys', p.kms.perKey, true),
    line('Cognito (Plus)', u.cognitoMau, 'MAU', p.cognito.plusPerMau, true),
  ];
  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  return {
    fleet,
    lines,
    total,
    perDevice: total / fleet.devices,
    samples,
    messages,
    invocations,
    batchFill: fill,
  };
}

/** How an open operator console polls `GET /alarms` for live updates (console/src, docs/console-cloud.md). */
export interface ConsolePolling {
  /** Hours a day the console's tab is visible (the rest of the day it stays open in the background). */
  visibleHoursPerDay: number;
  /** Seconds between polls while visible, and while hidden. */
  visibleIntervalS: number;
  hiddenIntervalS: number;
  /** Read units of one poll: one eventually consistent Query of the alarms' status index (a few open alarms). */
  readUnitsPerPoll: number;
  /** Bytes of the API's access-log line per request (one JSON object, infra/constructs/query-api.ts). */
  accessLogBytes: number;
}

/** The contract's intervals (1.5 s visible, 15 s hidden), a tab visible for a working day. */
export const CONSOLE_POLLING: ConsolePolling = {
  visibleHoursPerDay: 8,
  visibleIntervalS: 1.5,
  hiddenIntervalS: 15,
  readUnitsPerPoll: 1,
  accessLogBytes: 450,
};

/**
 * What one console left open costs a day in API calls and dollars: each poll is an HTTP API request, a Lambda
 * invocation (the API's duration and memory of `u`), one read and two log streams (Lambda's platform lines and the
 * API's access log). A 304 costs the same as a 200: the saving is bytes to the browser, not work in the region.
 */
export function consolePollingPerDay(
  c: ConsolePolling = CONSOLE_POLLING,
  u: Usage = DEFAULT_USAGE,
  p = PRICES,
): { calls: number; usd: number; perCallUsd: number } {
  const calls =
    (c.visibleHoursPerDay * 3600) / c.visibleIntervalS +
    ((24 - c.visibleHoursPerDay) * 3600) / c.hiddenIntervalS;
  const logBytes =
    u.platformLogBytes +
    u.platformLogEvents * p.cloudwatch.logEventOverheadBytes +
    c.accessLogBytes +
    p.cloudwatch.logEventOverheadBytes;
  const perCallUsd =
    p.apiGateway.perHttpRequest +
    p.lambda.perRequest +
    (u.apiMs / 1000) * (u.apiMemoryMb / 1024) * p.lambda.perGbSecondArm64 +
    c.readUnitsPerPoll * p.dynamodb.perReadRequestUnit +
    (logBytes / 1e9) * p.cloudwatch.logIngestPerGb;
  return { calls, usd: calls * perCallUsd, perCallUsd };
}
