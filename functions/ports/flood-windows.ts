import type { Audience, Severity } from '../core/alarm-types';

export interface FloodWindow {
  audience: Audience;
  siteId: string;
  windowStart: number;
  count: number;
  folded: string[];
  severity: Severity;
  township: string;
}

/** Flood control: the alarms raised per audience and site in a window, and the digests owed for the folded ones. */
export interface FloodWindows {
  /**
   * Adds an alarm to its audience/site flood window (idempotent per alarm) and returns how many alarms the window
   * holds, this one included.
   */
  addToFloodWindow(window: Omit<FloodWindow, 'count' | 'folded'>, alarmId: string): Promise<number>;
  /** Records that the alarm's SMS was folded into the window's digest. */
  foldIntoDigest(window: Omit<FloodWindow, 'count' | 'folded'>, alarmId: string): Promise<void>;
  /** Flood windows that ended before `before` and hold folded alarms not yet sent as a digest. */
  dueDigests(before: number): Promise<FloodWindow[]>;
  /** Marks a window's digest as sent; false if another run did. */
  markDigestSent(window: FloodWindow, at: number): Promise<boolean>;
}
