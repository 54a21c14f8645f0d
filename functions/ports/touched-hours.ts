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
}

/** What the roll-up job reads and keeps beside the roll-ups. */
export interface RollupJobStore {
  /** Hours of the marks written in (after, upTo], merged per device (every page read). */
  marksSince(after: number, upTo: number): Promise<Map<string, number[]>>;
  jobState(): Promise<RollupJobState | undefined>;
  saveJobState(state: RollupJobState): Promise<void>;
}
