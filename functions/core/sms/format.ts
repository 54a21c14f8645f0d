import { CHINA_UTC_OFFSET_MS } from '../../shared/time';

function decimalsFor(v: number): number {
  const abs = Math.abs(v);
  return abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
}

function fixed(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return String(v);
  let s = v.toFixed(decimals);
  if (s.includes('.') && !s.includes('e')) s = s.replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

/** A reading for a text message: a few significant decimals, trailing zeros dropped, never rounded to zero. */
export function formatNumber(v: number): string {
  let decimals = decimalsFor(v);
  let s = fixed(v, decimals);
  while (v !== 0 && Number(s) === 0 && decimals < 8) s = fixed(v, ++decimals);
  return s;
}

/** A value next to its limit, with as many decimals as it takes for them not to look equal (1.004 vs 1). */
export function formatAgainst(value: number, limit: number): string {
  let decimals = decimalsFor(value);
  let s = formatNumber(value);
  while (value !== limit && Number(s) === limit && decimals < 6) s = fixed(value, ++decimals);
  return s;
}

function chinaClock(ts: number) {
  const d = new Date(ts + CHINA_UTC_OFFSET_MS);
  return {
    day: `${d.getUTCFullYear()}-${d.getUTCMonth()}-${d.getUTCDate()}`,
    date: `${d.getUTCMonth() + 1}/${d.getUTCDate()}`,
    time: `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`,
  };
}

/** China time (UTC+8), `HH:mm`, with `M/D` in front when the sample is not from today (China time) relative to `now`. */
export function formatSampleTime(ts: number, now: number): string {
  const at = chinaClock(ts);
  return at.day === chinaClock(now).day ? at.time : `${at.date} ${at.time}`;
}
