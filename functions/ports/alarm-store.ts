import type { Alarm, AlarmTransition, NotificationRecord, PendingNotification } from '../core/alarm';
import type { AlarmState, Audience, Severity } from '../core/alarm-types';

export interface AlarmFilter {
  status: 'open' | 'closed';
  state?: AlarmState;
  siteId?: string;
  deviceId?: string;
  severity?: Severity;
  limit: number;
  cursor?: string;
}

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

export interface FloodWindow {
  audience: Audience;
  siteId: string;
  windowStart: number;
  count: number;
  folded: string[];
  severity: Severity;
  township: string;
}

export interface AlarmStore {
  /** condition key → id of the alarm holding it (open, or closed but not yet released). */
  openIndex(deviceId: string): Promise<Record<string, { alarmId: string; at: number }>>;
  /** Takes the device/condition slot for `alarmId` unless another alarm holds it; returns the holder. */
  acquire(deviceId: string, condition: string, alarmId: string, at: number): Promise<string>;
  /** Frees the slot if `alarmId` still holds it. */
  release(deviceId: string, condition: string, alarmId: string): Promise<void>;
  /** Creates the episode unless it exists; false when it already did (a retry). */
  create(alarm: Alarm): Promise<boolean>;
  get(alarmId: string): Promise<Alarm | undefined>;
  /** Conditional state change; undefined when the alarm was not in `from` (someone else moved it). */
  transition(request: TransitionRequest): Promise<Alarm | undefined>;
  /** Conditional attribute change without a state change (shelve, escalation mark, reminder). */
  update(
    alarmId: string,
    set: Partial<Alarm>,
    entry: AlarmTransition | undefined,
    options: {
      condition?: 'open' | { lastNotifiedAt: number | undefined };
      notify?: PendingNotification | readonly PendingNotification[];
    },
  ): Promise<Alarm | undefined>;
  /**
   * Claims a pending notification for sending: of several concurrent attempts exactly one gets true. The claim moves
   * the entry (a kind, or `kind@audience`) from `pending` to `sending`.
   */
  claimNotification(alarmId: string, kind: PendingNotification, at: number): Promise<boolean>;
  /** Records a claimed notification as sent. */
  recordNotification(
    alarmId: string,
    kind: PendingNotification,
    record: NotificationRecord,
  ): Promise<boolean>;
  /** Returns a claimed notification to `pending` (sending failed, or the sender died). */
  releaseNotification(alarmId: string, kind: PendingNotification): Promise<void>;
  list(filter: AlarmFilter): Promise<{ items: Alarm[]; cursor?: string }>;
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
