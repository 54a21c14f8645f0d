import type { RejectionReason } from '../core/contract';

/**
 * Why a message is quarantined: a contract rejection, a queue message that is not the rule's envelope, a message
 * storage refused for good (`storage_rejected`), or one that failed every delivery and went to the dead-letter queue
 * (`dead_lettered`, recorded so it is visible beside the others).
 */
export const INGEST_FAILURE_REASONS = ['bad_envelope', 'storage_rejected', 'dead_lettered'] as const;
export type QuarantineReason = RejectionReason | (typeof INGEST_FAILURE_REASONS)[number];

/** A message the service could not accept, kept whole so nothing a device sends is lost. */
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
  payload: Uint8Array;
}

export interface QuarantineStore {
  put(entries: readonly QuarantineEntry[]): Promise<void>;
  /** Newest first. */
  listRecent(options: {
    limit: number;
    deviceId?: string;
    days?: number;
    now: number;
  }): Promise<QuarantineEntry[]>;
}
