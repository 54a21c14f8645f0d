/** Milliseconds in one second; every duration and timestamp in the service is in milliseconds. */
export const SECOND_MS = 1000;
/** Milliseconds in one minute. */
export const MINUTE_MS = 60 * SECOND_MS;
/** Milliseconds in one hour. */
export const HOUR_MS = 60 * MINUTE_MS;
/** Milliseconds in one day (a UTC day: no leap seconds, no daylight saving). */
export const DAY_MS = 24 * HOUR_MS;

/**
 * China Standard Time is UTC+8 all year (no daylight saving), so a fixed offset gives the local day and month that
 * operators and reports count in.
 */
export const CHINA_UTC_OFFSET_MS = 8 * HOUR_MS;
