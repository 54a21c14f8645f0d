import type { Audience, Severity } from '../core/alarm-types';

/** Whose raise SMS are paced: one device's condition, to one audience. */
export interface RaiseTurnKey {
  deviceId: string;
  condition: string;
  audience: Audience;
}

/** An alarm episode that began and ended inside a backfill: summarised, never sent as "unsafe water now". */
export interface BackfillEpisode {
  alarmId: string;
  condition: string;
  severity: Severity;
  audience: Audience;
  metric?: string;
  startTs: number;
  endTs: number;
}

/** A device's backfill so far: its episodes (at most a bounded number, `more` beyond) and alarms still held. */
export interface BackfillSummary {
  deviceId: string;
  /** Sample times of the first and last held raise or episode. */
  fromTs: number;
  toTs: number;
  episodes: BackfillEpisode[];
  /** Episodes beyond those kept. */
  more: number;
  /** Alarms raised from backfilled data whose raise SMS waits for the end of the backfill. */
  held: string[];
}

/** Notification bookkeeping beyond a single alarm: raise-SMS pacing per condition, and backfill summaries. */
export interface NotificationPacing {
  /**
   * Takes the raise-SMS turn of a device's condition for an audience, unless another raise (`raiseId` differs) took it
   * within `periodMs`; idempotent for one raise. True when this raise may send.
   */
  takeRaiseTurn(key: RaiseTurnKey, raiseId: string, at: number, periodMs: number): Promise<boolean>;
  /** Records that an alarm raised from backfilled data waits for the end of the device's backfill. */
  holdForBackfill(deviceId: string, alarmId: string, sampleTs: number, at: number): Promise<void>;
  /** Moves a held alarm's episode, over before the backfill ended, into the device's summary (idempotent). */
  addBackfillEpisode(deviceId: string, episode: BackfillEpisode, at: number): Promise<void>;
  /** Takes the device's summary for sending; undefined when there is none or another sender took it. */
  claimBackfillSummary(deviceId: string, at: number): Promise<BackfillSummary | undefined>;
  /** Removes a sent summary. */
  finishBackfillSummary(deviceId: string): Promise<void>;
  /** Devices whose backfill summary has not changed since `before` and is not sent: their backfill is over. */
  dueBackfills(before: number): Promise<string[]>;
}
