/** Durations and instants as the CLI accepts them. */

import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../functions/shared/time';

export { DAY_MS, HOUR_MS, MINUTE_MS };

const UNITS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/** `90` (seconds), `90s`, `1.5m`, `2h`, `1d`, `250ms` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match?.[1]) throw new Error(`"${text}" is not a duration: use e.g. 90s, 10m, 2h or 1d`);
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? SECOND_MS));
}

/**
 * An instant: epoch milliseconds, an ISO-8601 date-time, `now`, or `now-2h` / `now+30m`, relative to `now`.
 */
export function parseInstant(text: string, now: number): number {
  const t = text.trim();
  const relative = /^now(?:([+-])(.+))?$/.exec(t);
  if (relative) {
    if (!relative[1] || !relative[2]) return now;
    const offset = parseDuration(relative[2]);
    return relative[1] === '-' ? now - offset : now + offset;
  }
  if (/^\d{12,14}$/.test(t)) return Number(t);
  const parsed = Date.parse(t);
  if (Number.isNaN(parsed)) {
    throw new Error(
      `"${text}" is not a time: use an ISO date-time (2025-11-28T06:00:00Z), epoch ms, or now-6h`,
    );
  }
  return parsed;
}

/** 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  if (ms < SECOND_MS) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / SECOND_MS);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
