/**
 * Sends messages back to the ingest queue as new messages (SQS in the cloud, the local router's spool locally). A
 * new message starts its receive count afresh, so a message deferred for want of time is never dead-lettered for it.
 */
export interface IngestRequeue {
  /** Resolves once every body is queued; rejects when any is not (the caller then keeps the originals). */
  requeue(bodies: readonly string[]): Promise<void>;
}
