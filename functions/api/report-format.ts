import type { TownshipWaste, WasteSummary } from '../core/compliance-types';
import { CHINA_UTC_OFFSET_MS, HOUR_MS, MINUTE_MS } from '../shared/time';

/**
 * Number and time formats shared by the compliance report's CSV and HTML renderings, so a figure reads the same in
 * both and in the PDF.
 */

/** Decimal places of a rate written as a fraction (CSV): 0.000001 is one sample in a million. */
export const RATE_DECIMALS = 6;

/**
 * A rate rounded to `decimals` places that never rounds to a value it is not: a rate below 1 stays below 1 and one
 * above 0 stays above 0 (13 million samples with one miss must not read "1", all within).
 */
export function roundRate(rate: number, decimals: number): string {
  const step = 10 ** -decimals;
  let r = Math.round(rate / step) * step;
  if (rate < 1 && r >= 1) r = 1 - step;
  if (rate > 0 && r <= 0) r = step;
  return r.toFixed(decimals);
}

/** A rate as a percentage with two decimals ("99.76 %"), never rounded to 100 or 0 when it is not; "—" for none. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(Number(roundRate(rate, 4)) * 100).toFixed(2)} %`;
}

/** Epoch ms as ISO-8601 in China time with its offset, to the second: `2026-11-14T06:12:00+08:00`. */
export function chinaIso(ms: number): string {
  return `${new Date(ms + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** Epoch ms as a short China-time wall clock for tables: `2026-11-14 06:12`. */
export function chinaShort(ms: number): string {
  return new Date(ms + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** A duration as hours and minutes, `1 h 44 min`, or `18 min`. */
export function hoursMinutes(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h ${m} min` : `${m} min`;
}

/** Milliseconds as hours with up to `decimals` places, as a plain number string (`6.25`). */
export function hours(ms: number, decimals = 3): string {
  return String(Number((ms / HOUR_MS).toFixed(decimals)));
}

/**
 * The county's waste figures as one more township: counts summed, the mean fill at collection the townships' means
 * weighted by their collections (each township's mean is over its collections; `null` when no township has one).
 */
export function countyWaste(waste: WasteSummary, name: string): TownshipWaste {
  let weighed = 0;
  let fillSum = 0;
  const sum = (k: 'overflowEvents' | 'fireEvents' | 'binsOverflowedBeforeCollection') =>
    waste.townships.reduce((n, t) => n + t[k], 0);
  for (const t of waste.townships) {
    if (t.meanFillAtCollectionPct === null || t.collections === 0) continue;
    weighed += t.collections;
    fillSum += t.meanFillAtCollectionPct * t.collections;
  }
  return {
    township: name,
    collections: waste.collections,
    byWasteStream: waste.byWasteStream,
    overflowEvents: sum('overflowEvents'),
    fireEvents: sum('fireEvents'),
    meanFillAtCollectionPct: weighed ? fillSum / weighed : null,
    binsOverflowedBeforeCollection: sum('binsOverflowedBeforeCollection'),
  };
}
