import type {
  Alarm,
  AlarmDetail,
  AlarmTransition,
  NotificationRecord,
  PendingNotification,
} from '../core/alarm';
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

/** A device's last seen sample, kept by ingest at most once per heartbeat period (offline detection). */
export interface Heartbeat {
  deviceId: string;
  /** Newest sample time known, epoch ms; 0 when the sweep found the device has never reported. */
  lastSeenTs: number;
  /** The `lastSeenTs` for which an offline alarm was already raised: that silence needs no further look. */
  offlineFor?: number;
}

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

/** Optimistic check for `update`: each attribute must hold this value (undefined: must be absent). */
export type Expectation = Record<string, number | undefined>;

export interface AlarmStore {
  /** condition key → id of the alarm holding it (open, or closed but not yet released). */
  openIndex(deviceId: string): Promise<Record<string, { alarmId: string; at: number }>>;
  /** `openIndex` for many devices in as few reads as the store allows; every asked id is in the answer. */
  openIndexes(
    deviceIds: readonly string[],
  ): Promise<Map<string, Record<string, { alarmId: string; at: number }>>>;
  /** Takes the device/condition slot for `alarmId` unless another alarm holds it; returns the holder. */
  acquire(deviceId: string, condition: string, alarmId: string, at: number): Promise<string>;
  /** Frees the slot if `alarmId` still holds it. */
  release(deviceId: string, condition: string, alarmId: string): Promise<void>;
  /** Creates the episode with its first history entry unless it exists; false when it already did (a retry). */
  create(alarm: Alarm, entry: AlarmTransition): Promise<boolean>;
  /** The alarm item alone (state, pending notifications): what the engine and the sweep need. */
  head(alarmId: string): Promise<Alarm | undefined>;
  /** The alarm with its newest `historyLimit` (default 100) transitions and notification records. */
  get(alarmId: string, historyLimit?: number): Promise<AlarmDetail | undefined>;
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
  /** Records a device's newest sample time unless a newer one is recorded; clears `offlineFor` when it moves on. */
  recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void>;
  /**
   * Records many heartbeats in as few writes as the store allows. Unlike `recordHeartbeat` the writes are not
   * conditional: when two batches of one device race, a heartbeat may move back by their difference. That costs
   * no alarm, as the sweep checks a stale heartbeat against the device's newest reading before it calls it offline.
   * Returns the device ids whose heartbeat stayed unwritten.
   */
  recordHeartbeats(beats: readonly { deviceId: string; lastSeenTs: number }[]): Promise<string[]>;
  /** Every heartbeat, in one paged query (a few hundred devices per page). */
  heartbeats(): Promise<Heartbeat[]>;
  /** Notes that the offline alarm for the silence since `lastSeenTs` has been dealt with. */
  markOffline(deviceId: string, lastSeenTs: number): Promise<void>;
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
