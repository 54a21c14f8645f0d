import type { RejectionReason } from '../contract';

/**
 * Why a message is quarantined: a contract rejection, a queue message that is not the rule's envelope, a message
 * storage refused for good (`storage_rejected`), or one that failed every delivery and went to the dead-letter queue
 * (`dead_lettered`, recorded so it is visible beside the others).
 */
export const INGEST_FAILURE_REASONS = ['bad_envelope', 'storage_rejected', 'dead_lettered'] as const;
type QuarantineReason = RejectionReason | (typeof INGEST_FAILURE_REASONS)[number];

/** A message the service could not accept, recorded so nothing a device sends is lost without trace. */
export interface QuarantineEntry {
  /** Stable for a redelivered message, so a retry does not add a second entry. */
  id: string;
  /** Time the broker received it, epoch ms. */
  receivedAt: number;
  topic: string;
  clientId?: string;
  deviceId?: string;
  reason: QuarantineReason;
  message: string;
  /**
   * The raw bytes, or a prefix of them. The store keeps at most `QUARANTINE_LIMITS.payloadPrefixBytes`; on read this is
   * that stored prefix, and `payloadBytes` tells whether it is the whole message.
   */
  payload: Uint8Array;
  /** Length of the whole message in bytes; the store takes `payload.byteLength` when absent. */
  payloadBytes?: number;
  /** SHA-256 of the whole message, lowercase hex; the store hashes `payload` when absent. */
  payloadSha256?: string;
}

/**
 * Bounds that make every entry fit in one DynamoDB item (400 KB) whatever was sent. 8 KiB of payload shows what was
 * wrong (the envelope, the first samples) while one quarantine write costs at most about 15 write units, so a
 * device flooding the broker with junk stays cheap to record; the length and hash identify the whole message. Topic
 * and client id bounds are AWS IoT's own (256 and 128 bytes); longer ones are cut.
 */
export const QUARANTINE_LIMITS = {
  payloadPrefixBytes: 8 * 1024,
  messageChars: 1024,
  topicChars: 256,
  clientIdChars: 128,
  deviceIdChars: 128,
} as const;

/** One page of entries, newest first. */
export interface QuarantinePage {
  items: QuarantineEntry[];
  /** Where the next page starts; absent when the window holds no more entries. */
  cursor?: string;
}

export interface QuarantineQuery {
  /** At most this many entries (a page may hold fewer and still have a `cursor`). */
  limit: number;
  deviceId?: string;
  reason?: QuarantineEntry['reason'];
  /** Days back from `now` (UTC days, today included); default 7. */
  days?: number;
  now: number;
  /** `cursor` of the previous page, issued for the same deviceId and reason. */
  cursor?: string;
}

export interface QuarantineStore {
  put(entries: readonly QuarantineEntry[]): Promise<void>;
  /** Newest first, a page at a time. */
  list(query: QuarantineQuery): Promise<QuarantinePage>;
  /** The first page's entries. */
  listRecent(options: Omit<QuarantineQuery, 'cursor'>): Promise<QuarantineEntry[]>;
}
