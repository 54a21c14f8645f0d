import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { IngestRequeue } from '../ports/ingest-requeue';

/** SendMessageBatch takes at most 10 entries and 1 MiB in all; 256 KiB per call leaves room for any mix. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/** Groups bodies into SendMessageBatch calls within both limits, in order. */
function batches(bodies: readonly string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (current.length > 0 && (current.length === MAX_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Re-enqueues deferred ingest messages on the ingest queue (needs `sqs:SendMessage` on it). Each becomes a new
 * message with a receive count of its own, so deferring a message never brings it nearer the dead-letter queue.
 */
export class SqsIngestRequeue implements IngestRequeue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async requeue(bodies: readonly string[]): Promise<void> {
    for (const batch of batches(bodies)) {
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
        }),
      );
      const failed = out.Failed ?? [];
      if (failed.length > 0)
        throw new Error(
          `${failed.length} of ${batch.length} messages not re-enqueued: ${failed.map((f) => `${f.Code}: ${f.Message}`).join('; ')}`,
        );
    }
  }
}
