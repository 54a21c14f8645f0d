/**
 * A message the ingest function failed on `maxReceiveCount` times, as the dead-letter queue holds it. The reason is
 * what the queue knows (locally the last error the router saw); ingest's own `dead_lettered` quarantine entry tells
 * more.
 */
export interface DeadLetter {
  /** The queue's message id; give it to `redrive` to move this message back. */
  id: string;
  /** When it was dead-lettered (ISO-8601); in the cloud, when it was first sent to the ingest queue if unknown. */
  deadLetteredAt: string;
  /** Deliveries before it was dead-lettered. */
  receiveCount: number;
  topic: string;
  /** The device the topic names, when it names one. */
  deviceId?: string;
  clientId?: string;
  /** When the broker received it (epoch ms). */
  receivedAt: number;
  reason?: string;
  /** The raw payload in base64, at most `DEAD_LETTER_PAYLOAD_BYTES` bytes of it. */
  payloadBase64: string;
  /** Length of the whole raw payload in bytes. */
  payloadBytes: number;
  /** Whether `payloadBase64` holds only a prefix of the payload. */
  payloadTruncated: boolean;
}

/** Bytes of a dead letter's payload shown in a listing; device messages are at most 128 KB. */
export const DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024;

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Opaque; pass it back for the next page. Absent on the last page. */
  cursor?: string;
  /** How many messages the queue holds (approximate in the cloud). */
  total?: number;
}

/** Which dead letters to move back to the ingest queue. */
export type RedriveSelection = { ids: readonly string[] } | { all: true };

export interface RedriveResult {
  /** Messages moved back (in the cloud, for `all`, the approximate count the move task started with). */
  moved: number;
  /** Ids asked for but not found in the dead-letter queue. */
  notFound: string[];
  /** The cloud's message-move task, when `all` started one. */
  taskHandle?: string;
}

/** The ingest dead-letter queue: a file beside the local router, the SQS DLQ in the cloud. */
export interface DeadLetterQueue {
  /** Lists dead letters, `limit` at most, from `cursor` on. A cursor that is not one this queue issued is a ValidationError. */
  list(limit: number, cursor?: string): Promise<DeadLetterPage>;
  /** Moves the selected dead letters back to the ingest queue, where they are delivered afresh. */
  redrive(selection: RedriveSelection): Promise<RedriveResult>;
}
