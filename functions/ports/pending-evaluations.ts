/** A device whose alarm evaluation failed after its samples were stored: the sweep evaluates the range again. */
export interface PendingEvaluation {
  deviceId: string;
  /** Sample time range to evaluate again, epoch ms, inclusive. */
  fromTs: number;
  toTs: number;
  /** Failed attempts so far (ingest and sweep). */
  failures: number;
  firstFailedAt: number;
  lastError: string;
}

/** Evaluations owed after a failure: ingest records them, the sweep retries and clears them. */
export interface PendingEvaluations {
  /** Records (or widens) a device's pending evaluation after a failure; counts the failure. */
  addPendingEvaluation(
    deviceId: string,
    range: { fromTs: number; toTs: number },
    at: number,
    error: string,
  ): Promise<void>;
  /** Every pending evaluation, in one paged query. */
  pendingEvaluations(): Promise<PendingEvaluation[]>;
  /** Removes the marker if nothing was added since it was read (same failure count); false otherwise. */
  clearPendingEvaluation(pending: PendingEvaluation): Promise<boolean>;
  /** Counts a failed retry of a pending evaluation. */
  failPendingEvaluation(deviceId: string, error: string): Promise<void>;
}
