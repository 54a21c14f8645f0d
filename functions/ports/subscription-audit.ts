import type { SubscriptionAuditEntry } from '../core/subscription-audit';

/** One page of the audit log, newest first. */
export interface AuditPage {
  items: SubscriptionAuditEntry[];
  nextCursor?: string;
}

/** The record of every subscription change. */
export interface SubscriptionAuditLog {
  record(entries: readonly SubscriptionAuditEntry[]): Promise<void>;
  /** Newest first; pass the previous page's `nextCursor` to go on. */
  page(options: { limit: number; cursor?: string }): Promise<AuditPage>;
}
