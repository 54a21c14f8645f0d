import type { DeviceKind } from '../../functions/contract';
import type { Audience } from '../../functions/core/alarm-types';
import type { RunRecord } from '../record';
import type { Count, OutcomeSpec, ScenarioInstance } from '../scenarios/types';
import type { ServiceApi } from './api-client';

/** One checked outcome, printed as PASS/FAIL with what was expected and what was found. */
export interface CheckResult {
  scenario: string;
  check: OutcomeSpec['check'];
  subject: string;
  ok: boolean;
  expected: string;
  found: string;
}

/** A check bound to its subject, evaluated against the service (perhaps several times while ingest catches up). */
export interface PlannedCheck {
  scenario: string;
  check: OutcomeSpec['check'];
  subject: string;
  expected: string;
  evaluate(api: ServiceApi): Promise<{ ok: boolean; found: string }>;
}

/** What the run did, for turning scenario outcomes into checks. */
export interface PlanContext {
  record: RunRecord;
  simStart: number;
  /** Entries the service made before this wall-clock time belong to earlier runs. */
  since: number;
  /** The run's seed: scenarios draw their ground truth from it. */
  seed: number;
}

/** "exactly one alarm", "at least 2 SMS", "1–3 events". */
export function describeCount(c: Count, what: string): string {
  if (c.max === c.min)
    return `${c.min === 0 ? 'no' : c.min === 1 ? 'exactly one' : `exactly ${c.min}`} ${what}`;
  if (c.max === undefined) return `at least ${c.min} ${what}`;
  return `${c.min}–${c.max} ${what}`;
}

/** Whether `n` satisfies the count. */
export const within = (n: number, c: Count): boolean => n >= c.min && (c.max === undefined || n <= c.max);

/** The audience an outcome names for a device of this kind. */
export function audienceFor(a: Audience | Record<DeviceKind, Audience>, kind: DeviceKind): Audience {
  return typeof a === 'string' ? a : a[kind];
}

/** Start of an instance's window at a device. */
export function windowStart(instance: ScenarioInstance, deviceId: string, simStart: number): number {
  const lag = instance.affected.find((a) => a.device.id === deviceId)?.lagMs ?? 0;
  return simStart + instance.startOffsetMs + lag;
}

/** Acknowledged sample times of a device at or after `from`, ascending. */
export function sentSince(ctx: PlanContext, deviceId: string, from: number): number[] {
  return [...(ctx.record.acked.get(deviceId)?.values() ?? [])]
    .map((k) => k.ts)
    .filter((ts) => ts >= from)
    .sort((a, b) => a - b);
}

/** An instant for a `found` text; a dash when there is none. */
export const isoOrDash = (ms: number | undefined): string =>
  ms === undefined ? '—' : new Date(ms).toISOString();

/** Runs `task` over `items` a few at a time: a big fleet is read in seconds without flooding the API. */
export async function fewAtATime<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 8) await Promise.all(items.slice(i, i + 8).map(task));
}
