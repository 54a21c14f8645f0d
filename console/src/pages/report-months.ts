import type { ComplianceReport } from '../../../functions/core/compliance-types';

// The months the reports page offers: China-time calendar months (the county's; the report API's `month`), newest
// first, and whether a month's report holds any data.

/** China Standard Time is UTC+8 all year (no daylight saving). */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The China-time month of an instant, as `YYYY-MM`. */
export function chinaMonthOf(ts: number): string {
  return new Date(ts + CHINA_OFFSET_MS).toISOString().slice(0, 7);
}

/** The `count` China-time months up to and including the one `now` is in, newest first. */
export function recentMonths(now: number, count: number): string[] {
  const d = new Date(now + CHINA_OFFSET_MS);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  return Array.from({ length: count }, (_, i) => {
    const m = new Date(Date.UTC(year, month - i, 1));
    return `${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

/** Whether a report has anything to show: samples stored in its period, or samples judged against limits. */
export function reportHasData(report: Pick<ComplianceReport, 'completeness' | 'county'>): boolean {
  return report.county.overall.valid > 0 || report.completeness.some((d) => d.received > 0);
}

/** How many samples a report's period holds (all devices, outside excluded windows). */
export function reportSamples(report: Pick<ComplianceReport, 'completeness'>): number {
  return report.completeness.reduce((sum, d) => sum + d.received, 0);
}

/**
 * The report's HTML with its `<style>` elements taken out, and their CSS. The console's content security policy
 * allows no inline style, and a document opened from the console's object URL inherits that policy, so the page
 * adopts the CSS as a constructed stylesheet instead (which the policy does not govern).
 */
export function separateStyles(html: string): { html: string; css: string } {
  const css: string[] = [];
  const rest = html.replace(/<style(?:\s[^>]*)?>([\s\S]*?)<\/style>/gi, (_, text: string) => {
    css.push(text);
    return '';
  });
  return { html: rest, css: css.join('\n') };
}
