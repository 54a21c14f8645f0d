import type { AlarmSummary, BinStatusView, CollectionEventView } from '../../../functions/api/types';

// Pure helpers of the bin pages: what a crew reads in a row (urgency, times) and the forecast line of the fill chart.
// Kept free of Preact and the DOM so unit tests check them directly.

const HOUR_MS = 3_600_000;

/** Waste streams as the county's sorting signs name them (GB/T 19095 categories). */
export const WASTE_STREAM_TEXT: Readonly<Record<BinStatusView['wasteStream'], Record<'zh' | 'en', string>>> =
  {
    residual: { zh: '其他垃圾', en: 'Residual' },
    recyclable: { zh: '可回收物', en: 'Recyclable' },
    kitchen: { zh: '厨余垃圾', en: 'Kitchen' },
    hazardous: { zh: '有害垃圾', en: 'Hazardous' },
  };

/** The collection windows a crew plans for, as the `needsCollectionWithin` ISO durations the API takes. */
export const COLLECTION_WINDOWS = [
  { id: 'PT4H', hours: 4 },
  { id: 'PT12H', hours: 12 },
  { id: 'PT24H', hours: 24 },
  { id: 'PT48H', hours: 48 },
] as const;
export type CollectionWindow = (typeof COLLECTION_WINDOWS)[number]['id'];

/** Whether a string (a saved choice, a hash parameter) is one of the windows. */
export function isCollectionWindow(value: string | null | undefined): value is CollectionWindow {
  return COLLECTION_WINDOWS.some((w) => w.id === value);
}

/**
 * How urgent a bin is, worst first: on fire (an open fire alarm), overflowing, above its collection threshold, due
 * within the window, not due, or unknown (no forecast). Each has its own text, not only a colour.
 */
export type BinUrgency = 'fire' | 'overflowing' | 'above' | 'due' | 'later' | 'unknown';

/** The bins with an open, still-active fire alarm (a cleared one waiting for acknowledgement is over). */
export function binsOnFire(
  alarms: readonly Pick<AlarmSummary, 'deviceId' | 'condition' | 'state'>[],
): Set<string> {
  return new Set(
    alarms
      .filter((a) => a.condition === 'fire' && (a.state === 'active_unack' || a.state === 'active_ack'))
      .map((a) => a.deviceId),
  );
}

/** A bin's urgency within a window of `windowHours` (the window the list was asked for). */
export function binUrgency(
  bin: Pick<BinStatusView, 'binId' | 'overflowing' | 'aboveThreshold' | 'hoursToThreshold' | 'fillPct'>,
  onFire: ReadonlySet<string>,
  windowHours: number,
): BinUrgency {
  if (onFire.has(bin.binId)) return 'fire';
  if (bin.overflowing) return 'overflowing';
  if (bin.aboveThreshold) return 'above';
  if (bin.hoursToThreshold !== null) return bin.hoursToThreshold <= windowHours ? 'due' : 'later';
  return bin.fillPct === null ? 'unknown' : 'later';
}

/**
 * The list as a crew works through it: the API's order (most urgent first by forecast) kept, except that a bin on
 * fire goes to the top, since the API's forecast does not know about fire. Stable: equal ranks keep their order.
 */
export function orderByUrgency<T extends { urgency: BinUrgency }>(rows: readonly T[]): T[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => (a.row.urgency === 'fire' ? 0 : 1) - (b.row.urgency === 'fire' ? 0 : 1) || a.i - b.i)
    .map(({ row }) => row);
}

/** Hours as a crew reads them: "now" when passed, minutes under an hour, one decimal under a day, else days. */
export function formatHours(hours: number | null, lang: 'zh' | 'en'): string {
  if (hours === null || !Number.isFinite(hours)) return '—';
  if (hours <= 0) return lang === 'zh' ? '已到' : 'now';
  if (hours < 1)
    return lang === 'zh'
      ? `${Math.max(1, Math.round(hours * 60))} 分钟`
      : `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 24) return lang === 'zh' ? `${hours.toFixed(1)} 小时` : `${hours.toFixed(1)} h`;
  const days = hours / 24;
  return lang === 'zh' ? `${days.toFixed(1)} 天` : `${days.toFixed(1)} d`;
}

/** Hours from `now` to an ISO time; null when unknown. Negative when it is past. */
export function hoursUntil(iso: string | null, now: number): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : (t - now) / HOUR_MS;
}

/** A fill rate: "+2.5 %/h", or "—" when the forecast has none. */
export function formatRate(ratePctPerHour: number | null, lang: 'zh' | 'en'): string {
  if (ratePctPerHour === null) return '—';
  const sign = ratePctPerHour > 0 ? '+' : '';
  return `${sign}${ratePctPerHour.toFixed(1)} %/${lang === 'zh' ? '小时' : 'h'}`;
}

/** A fill percentage, one decimal at most; "—" when never read. */
export function formatPct(pct: number | null): string {
  return pct === null ? '—' : `${Math.round(pct * 10) / 10} %`;
}

/**
 * The forecast as chart points: from the newest reading's fill at its time, along the fitted rate, to 100 % (or to
 * `to`, whichever comes first). Empty when the bin has no rising rate, so no line is drawn that the API did not say.
 */
export function forecastPoints(
  bin: Pick<BinStatusView, 'fillPct' | 'lastReadingAt' | 'ratePctPerHour' | 'fullAt'>,
  to: number,
): { t: number; v: number }[] {
  const { fillPct, ratePctPerHour: rate } = bin;
  if (fillPct === null || bin.lastReadingAt === null || rate === null || rate <= 0) return [];
  const t0 = Date.parse(bin.lastReadingAt);
  if (Number.isNaN(t0) || t0 >= to) return [];
  const fullT = t0 + ((100 - fillPct) / rate) * HOUR_MS;
  const fullAt = bin.fullAt === null ? fullT : Date.parse(bin.fullAt);
  const end = Math.min(to, Number.isNaN(fullAt) ? fullT : Math.max(t0, fullAt));
  const endV = Math.min(100, fillPct + (rate * (end - t0)) / HOUR_MS);
  return end > t0
    ? [
        { t: t0, v: fillPct },
        { t: end, v: endV },
      ]
    : [];
}

/** The emptyings as shaded spans: from the last full reading to the first reading after (a point when unknown). */
export function collectionSpans(
  collections: readonly Pick<CollectionEventView, 'at' | 'lastFullReadingAt'>[],
): { from: number; to: number }[] {
  const spans: { from: number; to: number }[] = [];
  for (const c of collections) {
    if (c.at === null) continue;
    const to = Date.parse(c.at);
    const from = c.lastFullReadingAt === null ? to : Date.parse(c.lastFullReadingAt);
    if (!Number.isNaN(to) && !Number.isNaN(from)) spans.push({ from: Math.min(from, to), to });
  }
  return spans;
}
