import type { Alarm, AlarmTransition, PendingNotification } from '../core/alarm';
import type { AlarmState } from '../core/alarm-types';

export interface TransitionRequest {
  alarmId: string;
  /** The write happens only if the alarm is in one of these states. */
  from: readonly AlarmState[];
  to: AlarmState;
  at: number;
  entry: AlarmTransition;
  /** Attributes set together with the transition. */
  set?: Partial<Alarm>;
  /** Notification(s) recorded with the transition, sent afterwards. */
  notify?: PendingNotification | readonly PendingNotification[];
}

/** Optimistic check for `update`: each attribute must hold this value (undefined: must be absent). */
export type Expectation = Record<string, number | undefined>;

/** Alarm episodes as the engine and the sweep change them: every write is conditional, so a retry changes nothing twice. */
export interface AlarmEpisodes {
  /** Creates the episode with its first history entry unless it exists; false when it already did (a retry). */
  create(alarm: Alarm, entry: AlarmTransition): Promise<boolean>;
  /** The alarm item alone (state, pending notifications): what the engine and the sweep need. */
  head(alarmId: string): Promise<Alarm | undefined>;
  /** Conditional state change; undefined when the alarm was not in `from` (someone else moved it). */
  transition(request: TransitionRequest): Promise<Alarm | undefined>;
  /** Conditional attribute change without a state change (shelve, escalation mark, reminder). */
  update(
    alarmId: string,
    set: Partial<Alarm>,
    entry: AlarmTransition | undefined,
    options: {
      condition?: 'open' | { lastNotifiedAt: number | undefined };
      /** Further attribute values the write requires (e.g. the shelving window's count). */
      expect?: Expectation;
      notify?: PendingNotification | readonly PendingNotification[];
    },
  ): Promise<Alarm | undefined>;
}
