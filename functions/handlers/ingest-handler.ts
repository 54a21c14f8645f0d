import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger';
import { type IngestDeps, type IngestRecord, ingestTelemetry } from '../use-cases/ingest-telemetry';
import { flushMetrics } from './flush-metrics';

/** The delivery number SQS reports; a missing or malformed attribute is read as the first delivery. */
function attemptOf(record: SQSRecord): number {
  const n = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/**
 * SQS → ingest. Partial batch response: only messages whose writes failed for a passing reason are retried, and
 * deferred messages the queue could not take back. Every line about one message carries its SQS message id as
 * `correlationId`, as do the alarms and SMS it causes.
 */
export function buildIngestHandler(deps: IngestDeps) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics(deps.metrics))
    .handler(async (event, context) => {
      const records: IngestRecord[] = event.Records.map((r) => ({
        messageId: r.messageId,
        body: r.body,
        attempt: attemptOf(r),
      }));
      const remainingMs =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? () => context.getRemainingTimeInMillis()
          : undefined;
      const result = await ingestTelemetry(records, remainingMs ? { ...deps, remainingMs } : deps);
      for (const o of result.outcomes) {
        if (o.status === 'quarantined') {
          logger.warn('message quarantined', {
            correlationId: o.messageId,
            messageId: o.messageId,
            deviceId: o.deviceId,
            topic: o.topic,
            reason: o.reason,
            detail: o.detail,
          });
        } else if (o.status === 'retry') {
          logger.error(o.lastAttempt ? 'message dead-lettered' : 'message failed; the queue retries it', {
            correlationId: o.messageId,
            messageId: o.messageId,
            deviceId: o.deviceId,
            topic: o.topic,
            error: o.error,
            attempt: o.attempt,
          });
        }
      }
      const deferred = result.outcomes.filter((o) => o.status === 'deferred');
      if (deferred.length > 0) {
        logger.info(
          'messages deferred to a later invocation (backfill larger than one invocation takes on)',
          {
            deferred: deferred.length,
            requeued: deferred.filter((o) => o.requeued).length,
            correlationIds: deferred.map((o) => o.messageId),
          },
        );
      }
      logger.info('batch ingested', {
        records: event.Records.length,
        storedSamples: result.storedSamples,
        quarantined: result.outcomes.filter((o) => o.status === 'quarantined').length,
        deferred: deferred.length,
        failed: result.failedMessageIds.length,
      });
      return { batchItemFailures: result.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
