import { PRICES } from './prices';

/** One sample a minute for a 30-day month. */
export const SAMPLES_PER_DEVICE_MONTH = 30 * 24 * 60;

/** What a bench run measured, per message or per sample, that the bill depends on. */
export interface MeasuredUsage {
  /** Samples per published message (1 when a device publishes each sample on its own). */
  samplesPerMessage: number;
  /** Mean 5 KB IoT message blocks per publish (payload + topic). */
  iotBlocksPerMessage: number;
  /** Mean 64 KB SQS request chunks per queued message (the rule's envelope). */
  sqsChunksPerMessage: number;
  /** Ingest invocations (= SQS receive batches) per message, from the local router's batches. */
  batchesPerMessage: number;
  /** Ingest handler duration per message, ms. */
  handlerMsPerMessage: number;
  lambdaMemoryMb: number;
  writeUnitsPerSample: number;
  readUnitsPerSample: number;
  /** Stored size of a reading item, bytes (names + values). */
  itemBytes: number;
  retentionDays: number;
}

export interface CostLine {
  item: string;
  /** Billed quantity per device-month. */
  quantity: number;
  unit: string;
  usd: number;
}

/** Cost per device-month at one sample a minute, line by line, from measured usage and the price table. */
export function costPerDeviceMonth(u: MeasuredUsage): {
  lines: CostLine[];
  total: number;
  basicIngestTotal: number;
} {
  const samples = SAMPLES_PER_DEVICE_MONTH;
  const messages = samples / u.samplesPerMessage;
  const invocations = messages * u.batchesPerMessage;
  const gbSeconds = ((messages * u.handlerMsPerMessage) / 1000) * (u.lambdaMemoryMb / 1024);
  const storedGb = (samples * (u.itemBytes + PRICES.dynamodb.itemOverheadBytes)) / 1024 ** 3;
  const line = (item: string, quantity: number, unit: string, price: number): CostLine => ({
    item,
    quantity,
    unit,
    usd: quantity * price,
  });
  const lines = [
    line('IoT Core messaging', messages * u.iotBlocksPerMessage, 'messages (5 KB)', PRICES.iot.perMessage),
    line('IoT Core connectivity', samples, 'connection-minutes', PRICES.iot.perConnectionMinute),
    line('IoT rules triggered', messages, 'rules', PRICES.iot.perRuleTriggered),
    line('IoT rule actions (SQS)', messages, 'actions', PRICES.iot.perRuleAction),
    line('SQS SendMessage', messages * u.sqsChunksPerMessage, 'requests', PRICES.sqs.perRequest),
    line('SQS Receive + DeleteBatch', 2 * invocations, 'requests', PRICES.sqs.perRequest),
    line('Lambda requests', invocations, 'invocations', PRICES.lambda.perRequest),
    line('Lambda duration (arm64)', gbSeconds, 'GB-s', PRICES.lambda.perGbSecondArm64),
    line('DynamoDB writes', samples * u.writeUnitsPerSample, 'WRU', PRICES.dynamodb.perWriteRequestUnit),
    line('DynamoDB reads', samples * u.readUnitsPerSample, 'RRU', PRICES.dynamodb.perReadRequestUnit),
    line('DynamoDB storage (one month of data)', storedGb, 'GB-month', PRICES.dynamodb.perGbMonth),
  ];
  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  const messaging = lines[0]?.usd ?? 0;
  return { lines, total, basicIngestTotal: total - messaging };
}

/** Storage at steady state, when `retentionDays` of samples are held: what the storage line grows to. */
export function steadyStateStorageUsd(u: MeasuredUsage): number {
  const months = u.retentionDays / 30;
  return (
    ((SAMPLES_PER_DEVICE_MONTH * months * (u.itemBytes + PRICES.dynamodb.itemOverheadBytes)) / 1024 ** 3) *
    PRICES.dynamodb.perGbMonth
  );
}
