import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../shared/logger';
import { type IngestDeps, ingestTelemetry } from '../use-cases/ingest-telemetry';

/** SQS → ingest. Partial batch response: only messages whose writes failed are retried. */
export function buildIngestHandler(deps: IngestDeps) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const result = await ingestTelemetry(
        event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
        deps,
      );
      for (const q of result.quarantined) {
        logger.warn('message quarantined', {
          deviceId: q.deviceId,
          topic: q.topic,
          reason: q.reason,
          detail: q.message,
        });
      }
      logger.info('batch ingested', {
        records: event.Records.length,
        storedSamples: result.storedSamples,
        quarantined: result.quarantined.length,
        failed: result.failedMessageIds.length,
      });
      return { batchItemFailures: result.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
