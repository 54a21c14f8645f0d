import type { RejectionReason } from '../core/contract';

/** A message the service could not accept, kept whole so nothing a device sends is lost. */
export interface QuarantineEntry {
  /** Stable for a redelivered message, so a retry does not add a second entry. */
  id: string;
  /** Time the broker received it, epoch ms. */
  receivedAt: number;
  topic: string;
  clientId?: string;
  deviceId?: string;
  reason: RejectionReason | 'bad_envelope';
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
