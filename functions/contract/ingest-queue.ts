/** The body of one SQS message, as the IoT rule writes it and the local router imitates it. */
export interface IngestEnvelope {
  payload: string;
  topic: string;
  clientId?: string;
  receivedAt: number;
}

/**
 * How the ingest queue delivers to the ingest function, in the cloud (SQS event source) and locally (the router):
 * the function counts on batches of this size and knows a delivery is the last by `maxReceiveCount`.
 */
export const INGEST_QUEUE = {
  /** Records per ingest invocation. */
  batchSize: 100,
  /** Wait up to this long to fill a batch (SQS requires ≥ 1 s for batches above 10). */
  maxBatchingWindowS: 1,
  /** Six times the function timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutS: 120,
  /** Deliveries before a message goes to the dead-letter queue. */
  maxReceiveCount: 5,
  /** How long the ingest queue keeps a message (SQS's default is 4 days): as long as the dead-letter queue. */
  retentionDays: 14,
  /** How long the dead-letter and rule-error queues keep a message, for a fix and a redrive. */
  dlqRetentionDays: 14,
} as const;
