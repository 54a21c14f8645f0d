import { DAY_MS } from '../shared/time';
import { REPORT_UTC_OFFSET_MS } from './rollup-types';

/**
 * The report calendar: China Standard Time, UTC+8 all year (no daylight saving), so days and months are fixed
 * offsets from UTC. Roll-ups key their days by it and reports count their months by it.
 */

/** Start of the China-time day holding `ts`, epoch ms. */
export function chinaDayStart(ts: number): number {
  return Math.floor((ts + REPORT_UTC_OFFSET_MS) / DAY_MS) * DAY_MS - REPORT_UTC_OFFSET_MS;
}

/** The China-time date of `ts`, `YYYY-MM-DD`. */
export function chinaDate(ts: number): string {
  return new Date(ts + REPORT_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** The China-time month of `ts`, `YYYY-MM`. */
export function chinaMonth(ts: number): string {
  return chinaDate(ts).slice(0, 7);
}
