import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger';
import { type IngestDeps, type IngestRecord, ingestTelemetry } from '../use-cases/ingest-telemetry';

/** The delivery number SQS reports; a missing or malformed attribute is read as the first delivery. */
function attemptOf(record: SQSRecord): number {
  const n = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** SQS → ingest. Partial batch response: only messages whose writes failed for a passing reason are retried. */
export function buildIngestHandler(deps: IngestDeps) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const records: IngestRecord[] = event.Records.map((r) => ({
        messageId: r.messageId,
        body: r.body,
        attempt: attemptOf(r),
      }));
      const result = await ingestTelemetry(records, deps);
      for (const o of result.outcomes) {
        if (o.status === 'quarantined') {
          logger.warn('message quarantined', {
            messageId: o.messageId,
            deviceId: o.deviceId,
            topic: o.topic,
            reason: o.reason,
            detail: o.detail,
          });
        } else if (o.status === 'retry') {
          logger.error(o.lastAttempt ? 'message dead-lettered' : 'message failed; the queue retries it', {
            messageId: o.messageId,
            deviceId: o.deviceId,
            topic: o.topic,
            error: o.error,
            attempt: o.attempt,
          });
        }
      }
      logger.info('batch ingested', {
        records: event.Records.length,
        storedSamples: result.storedSamples,
        quarantined: result.outcomes.filter((o) => o.status === 'quarantined').length,
        failed: result.failedMessageIds.length,
      });
      return { batchItemFailures: result.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
