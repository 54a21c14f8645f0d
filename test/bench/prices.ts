/**
 * AWS list prices used by the cost model of `npm run bench`: us-east-1, on-demand, no free tier, first volume tier.
 * Checked 2025-11-28 against the public pricing pages:
 *   https://aws.amazon.com/iot-core/pricing/  (and /additional-details/ for metering)
 *   https://aws.amazon.com/sqs/pricing/
 *   https://aws.amazon.com/lambda/pricing/
 *   https://aws.amazon.com/dynamodb/pricing/on-demand/  (on-demand throughput halved on 2024-11-01)
 * Change a price here and nowhere else.
 */
export const PRICES = {
  asOf: '2025-11-28',
  region: 'us-east-1',
  iot: {
    /** Messaging, per message; a PUBLISH is metered on payload + topic in 5 KB blocks. Basic Ingest skips it. */
    perMessage: 1.0 / 1e6,
    messageBlockBytes: 5 * 1024,
    /** Connectivity, per minute a device stays connected. */
    perConnectionMinute: 0.08 / 1e6,
    /** Rules engine: per rule triggered and per action applied (each per 5 KB of processed message). */
    perRuleTriggered: 0.15 / 1e6,
    perRuleAction: 0.15 / 1e6,
  },
  sqs: {
    /** Standard queue, per request; each 64 KB chunk of a payload is one request. */
    perRequest: 0.4 / 1e6,
    requestChunkBytes: 64 * 1024,
  },
  lambda: {
    /** arm64, per GB-second of billed duration (1 ms granularity). */
    perGbSecondArm64: 0.0000133334,
    perRequest: 0.2 / 1e6,
  },
  dynamodb: {
    /** On-demand: one write request unit per started 1 KB written. */
    perWriteRequestUnit: 0.625 / 1e6,
    /** On-demand: one read request unit per started 4 KB read strongly consistent, half that eventually consistent. */
    perReadRequestUnit: 0.125 / 1e6,
    /** Standard table class storage; every item also counts 100 bytes of index overhead. */
    perGbMonth: 0.25,
    itemOverheadBytes: 100,
  },
} as const;
