import { createHash } from 'node:crypto';
import { DAY_MS, MINUTE_MS } from '../shared/time';
import type { AlarmState, Audience, NotificationKind, Severity } from './alarm-types';
import type { Finding } from './conditions/detector';

/**
 * One alarm episode: raised once, acknowledged, cleared, closed. The item has a fixed upper size: its history of
 * transitions and its notification records are kept as separate log items (see {@link AlarmDetail}), only their
 * counts and the latest transition travel with it, so no number of shelves or reminders can outgrow DynamoDB's
 * 400 KB item limit and block the alarm (and the telemetry evaluated against it).
 */
export interface Alarm {
  alarmId: string;
  deviceId: string;
  siteId: string;
  siteName: string;
  siteNameZh?: string;
  township: string;
  measurementPoint?: string;
  condition: string;
  metric?: string;
  severity: Severity;
  audience: Audience;
  /** Further audiences that get this alarm's raised and cleared notifications too (a bin fire: supervisors). */
  alsoNotify?: Audience[];
  state: AlarmState;
  /** `open` until closed; the status index lists alarms by it. */
  status: 'open' | 'closed';
  /** When the service raised it, epoch ms. */
  raisedAt: number;
  /** The sample that raised it. */
  sampleTs: number;
  sampleReceivedAt: number;
  late: boolean;
  value?: number | boolean;
  limit?: { value: number; direction: 'min' | 'max'; citation: string };
  /** An event or drift alarm: the channels that moved from the detector's baseline, by how much, since when. */
  finding?: Finding;
  lastValue?: number | boolean;
  clearedAt?: number;
  clearedSampleTs?: number;
  ackedAt?: number;
  ackedBy?: string;
  ackComment?: string;
  shelvedUntil?: number;
  shelveReason?: string;
  shelvedBy?: string;
  escalatedAt?: number;
  lastNotifiedAt?: number;
  /** Reminders sent so far; the sweep stops at `REMINDER_MAX`. */
  remindersSent?: number;
  /**
   * Raised from backfilled data: its raise SMS waits for the end of the backfill (an episode over by then goes into
   * the device's one backfill summary instead; one still active is sent, saying since when).
   */
  backfillHeld?: boolean;
  /**
   * The queue message (SQS message id; locally the router's) whose sample caused the latest raise, reactivation or
   * clear; its notifications carry it on. Absent for transitions not caused by a message (offline, the API).
   */
  correlationId?: string;
  /** Transitions recorded so far; entry `n` (1-based) is the log item `n` of the alarm's history. */
  historyCount: number;
  /** Notification records so far, numbered like the history. */
  notificationCount: number;
  /** When the latest transition happened, and the transition itself (so a lost log write still shows it). */
  lastChangeAt: number;
  lastEntry?: AlarmTransition;
  /** Audiences whose `raised` SMS flood control folded into a digest: their `cleared` SMS is folded too. */
  floodFolded?: Audience[];
  /** Shelving rate limit: start of the current 24-hour window and how many shelves it holds. */
  shelveWindowStart?: number;
  shelvesInWindow?: number;
  /** Notifications recorded with a transition and not yet sent (an outbox inside the item). */
  pending: PendingNotification[];
  /** Notifications claimed by a sender, with the claim time; a stale claim goes back to `pending`. */
  sending: Partial<Record<PendingNotification, number>>;
}

/**
 * A notification waiting to be sent: its kind for the alarm's audience, or `kind@audience` for one of the alarm's
 * `alsoNotify` audiences. Each is claimed and recorded on its own, so every audience gets each kind exactly once.
 */
export type PendingNotification = NotificationKind | `${NotificationKind}@${Audience}`;

/** Kinds that also go to an alarm's `alsoNotify` audiences; reminders and escalation stay with its own audience. */
const SHARED_KINDS: readonly NotificationKind[] = ['raised', 'cleared'];

/** The pending entries a notification of `kind` makes for an alarm: its audience, then each extra one. */
export function pendingFor(alarm: Pick<Alarm, 'alsoNotify'>, kind: NotificationKind): PendingNotification[] {
  const extra = SHARED_KINDS.includes(kind) ? (alarm.alsoNotify ?? []) : [];
  return [kind, ...extra.map((a): PendingNotification => `${kind}@${a}`)];
}

/** Splits a pending entry into its kind and, for an extra audience, that audience. */
export function parsePending(p: PendingNotification): { kind: NotificationKind; audience?: Audience } {
  const [kind, audience] = p.split('@') as [NotificationKind, Audience | undefined];
  return audience === undefined ? { kind } : { kind, audience };
}

/** An alarm with (the newest part of) its history and notification records, as the API shows it. */
export interface AlarmDetail extends Alarm {
  /** Oldest first; at most the newest `historyLimit` of `historyCount` transitions. */
  history: AlarmTransition[];
  /** Oldest first; at most the newest `historyLimit` of `notificationCount` records. */
  notifications: NotificationRecord[];
}

/** Shelving is limited per alarm to this many shelves in a rolling 24 hours (`SHELVE_MAX_PER_DAY`). */
export const SHELVE_WINDOW_MS = DAY_MS;

export interface AlarmTransition {
  at: number;
  from?: AlarmState;
  to: AlarmState | 'shelved' | 'unshelved';
  by?: string;
  note?: string;
  /** The queue message whose sample caused this transition, when one did. */
  correlationId?: string;
}

export interface NotificationRecord {
  at: number;
  kind: NotificationKind;
  audience: Audience;
  recipients: number;
  messageIds: string[];
  /** The alarm's `correlationId` when the notification was sent: the queue message it traces back to. */
  correlationId?: string;
  /**
   * Folded into a digest by flood control, held back by shelving, or folded because the same device and condition
   * sent a raise SMS within `RAISE_SMS_MIN_INTERVAL_MIN` (a flapping alarm).
   */
  suppressed?: 'flood' | 'shelved' | 'flapping';
}

/** A sample arriving this long after it was taken is late data. */
export const LATE_AFTER_MS = 10 * MINUTE_MS;

/**
 * Alarm ids are derived from the device, condition and the sample that raised the alarm, so a redelivered batch
 * computes the same id and a conditional write makes the raise happen once. Short enough for an SMS.
 */
export function alarmIdFor(deviceId: string, condition: string, sampleTs: number, seq: number): string {
  const digest = createHash('sha256').update(`${deviceId}\n${condition}\n${sampleTs}\n${seq}`).digest();
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  let id = '';
  for (let i = 0; i < 8; i++) id += alphabet[(digest[i] as number) % alphabet.length];
  return `A${id}`;
}

/**
 * Which clear and ack transitions are allowed, ISA-18.2 style. Reactivation (cleared_unack → active_unack) is not
 * here: only the engine does it, when a newer sample breaches again.
 */
export const TRANSITIONS: Readonly<Record<'clear' | 'ack', Partial<Record<AlarmState, AlarmState>>>> = {
  clear: { active_unack: 'cleared_unack', active_ack: 'closed' },
  ack: { active_unack: 'active_ack', cleared_unack: 'closed' },
};
