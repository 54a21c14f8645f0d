import type { Notification } from '../core/alarm-types';

export interface SendResult {
  /** Phones the message went to; 0 where the provider fans out by itself and does not say (SNS). */
  recipients: number;
  /** The provider's message ids, for the alarm's notification history. */
  messageIds: string[];
}

/**
 * Sends one notification to everyone subscribed to its audience, severity and place, each in their language. SNS in
 * the cloud, the outbox file locally; another SMS provider (SNS sends no SMS in the China regions) is another adapter.
 */
export interface Notifier {
  send(n: Notification): Promise<SendResult>;
}
