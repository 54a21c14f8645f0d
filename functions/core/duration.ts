import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../shared/time';

/**
 * ISO-8601 durations of fixed length: `PnW`, or `PnDTnHnMnS` with any part omitted (`PT6H`, `PT90M`, `P1DT12H`,
 * `PT0.5H`). Years and months are refused: their length depends on the calendar.
 */
const PATTERN =
  /^P(?:(?<w>\d+(?:[.,]\d+)?)W|(?:(?<d>\d+(?:[.,]\d+)?)D)?(?:T(?:(?<h>\d+(?:[.,]\d+)?)H)?(?:(?<m>\d+(?:[.,]\d+)?)M)?(?:(?<s>\d+(?:[.,]\d+)?)S)?)?)$/;
const UNIT_MS = { w: 7 * DAY_MS, d: DAY_MS, h: HOUR_MS, m: MINUTE_MS, s: SECOND_MS } as const;

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/** Parses an ISO-8601 duration to milliseconds; the message of a failure says what to send instead. */
export function parseIsoDuration(text: string): DurationResult {
  const upper = text.trim().toUpperCase();
  const match = PATTERN.exec(upper);
  const groups = match?.groups;
  if (!groups || upper === 'P' || upper.endsWith('T')) {
    const calendar = /^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T.*)?$/.test(upper) && /^P[^T]*[YM]/.test(upper);
    return {
      ok: false,
      message: calendar
        ? `"${text}" uses years or months, which have no fixed length; use days or weeks, e.g. P30D or P4W`
        : `"${text}" is not an ISO-8601 duration; use e.g. PT6H, PT90M, P1D or P1DT12H`,
    };
  }
  let ms = 0;
  for (const unit of Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]) {
    const value = groups[unit];
    if (value !== undefined) ms += Number(value.replace(',', '.')) * UNIT_MS[unit];
  }
  return { ok: true, ms: Math.round(ms) };
}
