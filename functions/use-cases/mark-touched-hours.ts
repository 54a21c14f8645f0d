import { hourStart } from '../core/rollup';
import type { Clock } from '../ports/clock';
import type { TouchedHourMarks } from '../ports/touched-hours';
import { logger } from '../shared/logger';
import { HOUR_MS } from '../shared/time';
import type { StoredMessage } from './ingest-telemetry';

/** Device-hours a warm container remembers having marked: ~20 hours of 1,000 devices, a few hundred KB. */
const MEMO_LIMIT = 20_000;

export interface TouchedHoursStageDeps {
  marks: TouchedHourMarks;
  clock: Clock;
  memoLimit?: number;
}

/**
 * The after-store stage that tells the roll-up job which device-hours got new samples: one mark item per invocation,
 * holding only hours this container has not marked yet, so live data costs about one mark per device-hour per
 * container, not one per sample.
 *
 * The memo is trusted only while an hour is still open: the job recomputes an hour only once it has ended, so a
 * sample stored before the end is covered by the hour's first mark; a sample of an hour that has already ended
 * (late data, a backfill) is always marked, as the job may have rolled that hour up already. A mark that cannot be
 * written fails the messages that needed it, so the queue delivers them again (storing and judging are idempotent):
 * an hour without its mark would never be rolled up.
 */
export function markTouchedHoursStage(deps: TouchedHoursStageDeps) {
  const limit = deps.memoLimit ?? MEMO_LIMIT;
  // Insertion-ordered: the oldest entries go first once the memo is full.
  const memo = new Set<string>();
  return async (stored: StoredMessage[]): Promise<Set<string>> => {
    const now = deps.clock.now();
    const hours = new Map<string, Set<number>>();
    const needing = new Map<string, Set<string>>();
    for (const s of stored) {
      for (const sample of s.message.samples) {
        const hour = hourStart(sample.ts);
        const key = `${s.device.id}#${hour}`;
        if (hour + HOUR_MS > now && memo.has(key)) continue;
        const set = hours.get(s.device.id) ?? new Set<number>();
        set.add(hour);
        hours.set(s.device.id, set);
        const ids = needing.get(key) ?? new Set<string>();
        ids.add(s.messageId);
        needing.set(key, ids);
      }
    }
    if (hours.size === 0) return new Set();
    try {
      await deps.marks.mark(new Map([...hours].map(([id, set]) => [id, [...set]])), now);
    } catch (err) {
      logger.error('touched-hour mark not written; messages will be retried', {
        devices: hours.size,
        error: err as Error,
      });
      return new Set([...needing.values()].flatMap((ids) => [...ids]));
    }
    for (const key of needing.keys()) {
      memo.delete(key);
      memo.add(key);
    }
    for (const key of memo) {
      if (memo.size <= limit) break;
      memo.delete(key);
    }
    return new Set();
  };
}
