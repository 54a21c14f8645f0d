/** Shared vocabulary of alarms and notifications (ISA-18.2 lifecycle). Plain data, no AWS. */

export const SEVERITIES = ['warning', 'critical', 'sensor_fault', 'device'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank for "minimum severity" filters: a subscription with minSeverity X receives X and above. */
export const SEVERITY_RANK: Record<Severity, number> = {
  device: 0,
  sensor_fault: 1,
  warning: 2,
  critical: 3,
};

export const AUDIENCES = ['operators', 'engineers', 'sanitation', 'supervisors'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const LANGUAGES = ['zh', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** active_unack → active_ack → cleared (closed); active_unack → cleared_unack → (ack) closed. */
export const ALARM_STATES = ['active_unack', 'active_ack', 'cleared_unack', 'closed'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export const NOTIFICATION_KINDS = ['raised', 'cleared', 'reminder', 'escalation', 'digest'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What an SMS says about an alarm; templates turn it into text per language. */
export interface AlarmFacts {
  alarmId: string;
  kind: NotificationKind;
  severity: Severity;
  deviceId: string;
  siteId: string;
  siteName: string;
  siteNameZh?: string;
  township: string;
  measurementPoint?: string;
  /** The condition, e.g. `limit:free_chlorine_mg_l:min`, `stuck:ph`, `offline`. */
  condition: string;
  metric?: string;
  value?: number | boolean;
  /** The limit or level crossed, with its direction and citation. */
  limit?: { value: number; direction: 'min' | 'max'; citation: string };
  /** An event or drift alarm: channels moved from the baseline (shift in their unit and in σ), and since when. */
  finding?: {
    since: number;
    channels: readonly { metric: string; shift: number; sigma: number }[];
  };
  /** Sample time, epoch ms. */
  sampleTs: number;
  /** True when the sample arrived long after it was taken (device back from offline). */
  late?: boolean;
  /** For digests: how many alarms were folded into this message. */
  folded?: number;
}

/** One message to an audience; adapters fan it out to the matching subscriptions. */
export interface Notification {
  audience: Audience;
  severity: Severity;
  siteId: string;
  township: string;
  deviceId: string;
  alarmId: string;
  kind: NotificationKind;
  /** The queue message behind the alarm's latest transition (SQS message id), for tracing an SMS to its input. */
  correlationId?: string;
  /** Text per language, each already within one SMS (70 chars zh, 160 GSM chars en). */
  text: Record<Language, string>;
}
