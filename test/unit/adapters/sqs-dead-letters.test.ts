import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsDeadLetters } from '../../../functions/adapters/sqs-dead-letters';
import { ValidationError } from '../../../functions/core/errors';
import { DEAD_LETTER_PAYLOAD_BYTES } from '../../../functions/ports/dead-letters';
import { T0 } from '../../helpers/telemetry';

const sqs = mockClient(SQSClient);
const client = new SQSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const config = {
  deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/dlq',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:1:dlq',
  sourceQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/ingest',
  sourceQueueArn: 'arn:aws:sqs:us-east-1:1:ingest',
};
const adapter = () => new SqsDeadLetters(client, config);

const body = (payload: string | Buffer) =>
  JSON.stringify({
    payload: Buffer.from(payload).toString('base64'),
    topic: 'dt/water/wq-1',
    clientId: 'wq-1',
    receivedAt: T0,
  });
const message = (id: string, payload: string | Buffer = '{"v":1}') => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: body(payload),
  Attributes: { SentTimestamp: String(T0), ApproximateReceiveCount: '6' },
});

beforeEach(() => {
  sqs.reset();
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
});

describe('SQS dead letters', () => {
  it('lists without deleting: receives with a short visibility timeout, then makes the messages visible again', async () => {
    const big = Buffer.alloc(DEAD_LETTER_PAYLOAD_BYTES + 5, 0x61);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m1'), message('m2', big)] })
      .resolvesOnce({ Messages: [message('m3'), message('m1')] })
      .resolves({ Messages: [] });

    const page = await adapter().list(50);

    expect(page.total).toBe(3);
    expect(page.cursor).toBeUndefined();
    expect(page.items.map((i) => i.id)).toEqual(['m1', 'm2', 'm3']);
    expect(page.items[0]).toMatchObject({
      topic: 'dt/water/wq-1',
      deviceId: 'wq-1',
      receivedAt: T0,
      receiveCount: 6,
      deadLetteredAt: new Date(T0).toISOString(),
      payloadBase64: Buffer.from('{"v":1}').toString('base64'),
      payloadTruncated: false,
    });
    expect(page.items[1]).toMatchObject({ payloadBytes: big.length, payloadTruncated: true });
    expect(Buffer.from(page.items[1]?.payloadBase64 ?? '', 'base64')).toHaveLength(DEAD_LETTER_PAYLOAD_BYTES);
    const receive = sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input;
    expect(receive).toMatchObject({
      QueueUrl: config.deadLetterQueueUrl,
      VisibilityTimeout: 30,
      WaitTimeSeconds: 0,
    });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    const released = sqs
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(released.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['rh-m1', 0],
      ['rh-m2', 0],
      ['rh-m3', 0],
    ]);
  });

  it('refuses a cursor: SQS cannot page through a queue', async () => {
    await expect(adapter().list(10, 'abc')).rejects.toBeInstanceOf(ValidationError);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('redrives all with a message-move task from the dead-letter queue to the ingest queue', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });

    const result = await adapter().redrive({ all: true });

    expect(result).toEqual({ moved: 3, notFound: [], taskHandle: 'task-1' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: config.deadLetterQueueArn,
      DestinationArn: config.sourceQueueArn,
    });
  });

  it('starts no move task when the dead-letter queue is empty', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });

    expect(await adapter().redrive({ all: true })).toEqual({ moved: 0, notFound: [] });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('redrives chosen ids: sends each to the ingest queue before deleting it, and releases the others', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m1'), message('m2')] })
      .resolvesOnce({ Messages: [message('m3')] })
      .resolves({ Messages: [] });
    const order: string[] = [];
    sqs.on(SendMessageCommand).callsFake((input) => {
      order.push(`send ${JSON.parse(input.MessageBody).topic} to ${input.QueueUrl}`);
      return {};
    });
    sqs.on(DeleteMessageCommand).callsFake((input) => {
      order.push(`delete ${input.ReceiptHandle} from ${input.QueueUrl}`);
      return {};
    });

    const result = await adapter().redrive({ ids: ['m2', 'm3', 'gone'] });

    expect(result).toEqual({ moved: 2, notFound: ['gone'] });
    expect(order).toEqual([
      `send dt/water/wq-1 to ${config.sourceQueueUrl}`,
      `delete rh-m2 from ${config.deadLetterQueueUrl}`,
      `send dt/water/wq-1 to ${config.sourceQueueUrl}`,
      `delete rh-m3 from ${config.deadLetterQueueUrl}`,
    ]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody).toBe(body('{"v":1}'));
    const released = sqs
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(released.map((e) => e.ReceiptHandle)).toEqual(['rh-m1']);
  });
});
