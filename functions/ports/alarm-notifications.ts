import type { NotificationRecord, PendingNotification } from '../core/alarm';

/** The hand-off of an alarm's pending notifications to the one sender that claims each. */
export interface AlarmNotifications {
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
}
