import type { RejectionReason } from '../contract';
import type { Severity } from '../core/alarm-types';
import type { INGEST_FAILURE_REASONS } from './quarantine-store';

/** Something the service counts about itself; the names are the keys of `SERVICE_METRICS`. */
export type CountedEvent =
  | { name: 'samplesStored' }
  | { name: 'messagesQuarantined'; reason: RejectionReason | (typeof INGEST_FAILURE_REASONS)[number] }
  | { name: 'alarmsRaised'; severity: Severity }
  | { name: 'smsSent' }
  | { name: 'smsFailed' };

/**
 * The service's own counters. Use cases count; the handler flushes once per invocation, so a backend that writes
 * (CloudWatch EMF in the cloud) writes one batch of lines per invocation and a local one may keep counts in memory.
 */
export interface ServiceMetrics {
  /** Adds `n` (default 1) to the event's counter, and to its breakdown (reason, severity) where it has one. */
  count(event: CountedEvent, n?: number): void;
  /** Hands what was counted since the last flush to the backend. */
  flush(): void;
}

/** Counts nothing: for callers that do not report metrics (tests, one-off commands). */
export const noMetrics: ServiceMetrics = { count: () => undefined, flush: () => undefined };
