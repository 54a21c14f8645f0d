import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { ValidationError } from '../core/errors';
import type { DeadLetterPage, DeadLetterQueue, RedriveResult, RedriveSelection } from '../ports/dead-letters';
import { deadLetterFromBody } from './dead-letter-entry';

export interface SqsDeadLettersConfig {
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  /** The ingest queue, where redriven messages go. */
  sourceQueueUrl: string;
  sourceQueueArn: string;
  /** Seconds a listed or searched message stays hidden while this adapter holds it. Default 30. */
  holdS?: number;
}

/** SQS returns at most 10 messages per receive. */
const RECEIVE_MAX = 10;
/** Messages one listing shows: SQS has no browse order, so there is one page of at most this many. */
const SQS_LIST_MAX = 100;
/** Empty short-poll answers in a row after which the queue counts as exhausted (short polls sample servers). */
const EMPTY_POLLS = 2;

/**
 * The cloud's ingest dead-letter queue. SQS has no peek: a listing receives messages with a short visibility timeout
 * and makes them visible again at once, without deleting anything. Redriving all starts a message-move task back to
 * the ingest queue (`StartMessageMoveTask`); redriving chosen ids receives until it finds them, sends each to the
 * ingest queue and only then deletes it from the dead-letter queue (a crash in between duplicates, never loses).
 */
export class SqsDeadLetters implements DeadLetterQueue {
  private readonly holdS: number;

  constructor(
    private readonly sqs: SQSClient,
    private readonly config: SqsDeadLettersConfig,
  ) {
    this.holdS = config.holdS ?? 30;
  }

  async list(limit: number, cursor?: string): Promise<DeadLetterPage> {
    if (cursor !== undefined) {
      throw new ValidationError(
        `the cloud dead-letter queue is listed in one page of at most ${SQS_LIST_MAX} messages (SQS cannot page ` +
          'through a queue); omit cursor',
      );
    }
    const total = await this.approximateCount();
    const messages = await this.receiveUpTo(Math.min(limit, SQS_LIST_MAX));
    await this.release(messages);
    return {
      items: messages.map((m) =>
        deadLetterFromBody(m.Body ?? '', {
          id: m.MessageId ?? '',
          deadLetteredAt: new Date(Number(m.Attributes?.SentTimestamp ?? 0)).toISOString(),
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
        }),
      ),
      total,
    };
  }

  async redrive(selection: RedriveSelection): Promise<RedriveResult> {
    if ('all' in selection) {
      const moved = await this.approximateCount();
      if (moved === 0) return { moved: 0, notFound: [] };
      const task = await this.sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: this.config.deadLetterQueueArn,
          DestinationArn: this.config.sourceQueueArn,
        }),
      );
      return { moved, notFound: [], ...(task.TaskHandle ? { taskHandle: task.TaskHandle } : {}) };
    }
    const wanted = new Set(selection.ids);
    const found = new Set<string>();
    const others: Message[] = [];
    let moved = 0;
    const total = await this.approximateCount();
    // Enough receives to see every message once; each received message stays hidden for the search.
    let receives = Math.min(200, Math.ceil(total / RECEIVE_MAX) + 5);
    let empty = 0;
    while (found.size < wanted.size && receives-- > 0 && empty < EMPTY_POLLS) {
      const batch = await this.receive(RECEIVE_MAX);
      empty = batch.length === 0 ? empty + 1 : 0;
      for (const m of batch) {
        const id = m.MessageId ?? '';
        if (!wanted.has(id) || found.has(id)) {
          others.push(m);
          continue;
        }
        found.add(id);
        await this.sqs.send(
          new SendMessageCommand({ QueueUrl: this.config.sourceQueueUrl, MessageBody: m.Body ?? '' }),
        );
        await this.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: this.config.deadLetterQueueUrl,
            ReceiptHandle: m.ReceiptHandle,
          }),
        );
        moved++;
      }
    }
    await this.release(others);
    return { moved, notFound: [...wanted].filter((id) => !found.has(id)) };
  }

  private async approximateCount(): Promise<number> {
    const res = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.config.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(res.Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  private async receive(max: number): Promise<Message[]> {
    const res = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.config.deadLetterQueueUrl,
        MaxNumberOfMessages: max,
        VisibilityTimeout: this.holdS,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    return res.Messages ?? [];
  }

  private async receiveUpTo(limit: number): Promise<Message[]> {
    const seen = new Map<string, Message>();
    let empty = 0;
    while (seen.size < limit && empty < EMPTY_POLLS) {
      const batch = await this.receive(Math.min(RECEIVE_MAX, limit - seen.size));
      empty = batch.length === 0 ? empty + 1 : 0;
      for (const m of batch) if (m.MessageId && !seen.has(m.MessageId)) seen.set(m.MessageId, m);
    }
    return [...seen.values()];
  }

  /** Makes received messages visible again at once (they stay in the queue). */
  private async release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += RECEIVE_MAX) {
      const chunk = messages.slice(i, i + RECEIVE_MAX);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.config.deadLetterQueueUrl,
          Entries: chunk.map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
}
