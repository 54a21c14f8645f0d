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
  /** The raw bytes, or a bounded prefix of them when the message was larger (see payloadBytes). */
  payload: Uint8Array;
  /** Length of the whole original payload; set where `payload` may be only a prefix of it. */
  payloadBytes?: number;
  /** sha256 (hex) of the whole original payload; set where `payload` may be only a prefix of it. */
  payloadSha256?: string;
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
