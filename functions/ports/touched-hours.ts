/**
 * Which device-hours got new samples: ingest marks them, the roll-up job reads the marks and recomputes those hours.
 * Hours are given by their start, epoch ms (UTC hours).
 */
export type TouchedHours = ReadonlyMap<string, readonly number[]>;

/** Ingest's side: record touched hours (one item per call, written at `writtenAt`). */
export interface TouchedHourMarks {
  mark(hours: TouchedHours, writtenAt: number): Promise<void>;
}

/** The roll-up job's own state: the marks read so far, and the hours it still owes. */
export interface RollupJobState {
  /** Marks written at or before this time (epoch ms) have been read. */
  cursor: number;
  /** Per device, owed hours as runs: `[firstHourStart, hours, firstHourStart, hours, …]`. */
  owed: Record<string, number[]>;
  updatedAt: number;
  /** Marks written after `cursor` that were read already (the cursor lags behind): skipped when read again. */
  recent?: MarkRead[];
}

/** A mark item read: its id and when it was written. */
export interface MarkRead {
  id: string;
  writtenAt: number;
}

/** What the roll-up job reads and keeps beside the roll-ups. */
export interface RollupJobStore {
  /** Hours of the marks written in (after, upTo] but those in `skip`, merged per device (every page read). */
  marksSince(
    after: number,
    upTo: number,
    skip?: ReadonlySet<string>,
  ): Promise<{ hours: Map<string, number[]>; read: MarkRead[] }>;
  jobState(): Promise<RollupJobState | undefined>;
  saveJobState(state: RollupJobState): Promise<void>;
}
