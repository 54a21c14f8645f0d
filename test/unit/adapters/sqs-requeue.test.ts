import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsIngestRequeue } from '../../../functions/adapters/sqs-requeue';

const URL = 'https://sqs.cn-northwest-1.amazonaws.com.cn/123456789012/pamir-ingest';
const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

describe('SQS ingest requeue', () => {
  it('sends the bodies as new messages in batches of at most ten', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const bodies = Array.from({ length: 23 }, (_, i) => `{"n":${i}}`);

    await new SqsIngestRequeue(new SQSClient({}), URL).requeue(bodies);

    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls.every((c) => c.QueueUrl === URL)).toBe(true);
    expect(calls.flatMap((c) => c.Entries?.map((e) => e.MessageBody))).toEqual(bodies);
  });

  it('keeps a call under 256 KiB in all', async () => {
    sqs.on(SendMessageBatchCommand).resolves({});
    const big = 'x'.repeat(100 * 1024);

    await new SqsIngestRequeue(new SQSClient({}), URL).requeue([big, big, big]);

    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      2, 1,
    ]);
  });

  it('rejects when SQS refuses an entry, so the caller keeps the originals', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
    });

    await expect(new SqsIngestRequeue(new SQSClient({}), URL).requeue(['{}'])).rejects.toThrow(
      /1 of 1 messages not re-enqueued: InternalError: try again/,
    );
  });
});
