import type { Alarm } from '../core/alarm';
import type { BinDevice, BinForecast, FillHistorySummary, FillReading } from '../core/bins';
import type { Sample } from '../core/telemetry';
import type { QuarantineEntry } from '../ports/quarantine-store';
import type { TownshipCollections } from '../use-cases/collection-report';

// The bodies the API answers with. The presenters are typed against them, so a client (the simulator's --expect
// checks) that imports them reads the fields the service really sends. Times are ISO strings, null when unknown.

/** One stored sample as `GET /devices/{id}/readings` lists it. */
export interface ReadingView extends Sample {
  time: string;
  /** When the broker received it, epoch ms. */
  receivedAt: number;
}

/** `GET /devices/{id}/readings`: one page, oldest first unless asked otherwise. */
export interface ReadingsPage {
  deviceId: string;
  from: string;
  to: string;
  items: ReadingView[];
  nextCursor?: string;
}

/** `GET /devices/{id}/latest`: the sample with the newest timestamp (not the last one received). */
export interface LatestReading extends ReadingView {
  deviceId: string;
}

/** One quarantined message as `GET /quarantine` lists it. */
export interface QuarantineEntryView {
  id: string;
  at: string;
  receivedAt: number;
  topic: string;
  clientId: string | undefined;
  deviceId: string | undefined;
  reason: QuarantineEntry['reason'];
  message: string;
  payloadBase64: string;
  payloadText: string;
  /** Length of the whole message; `payloadBase64` holds its first bytes when `truncated`. */
  payloadBytes: number;
  payloadSha256: string | undefined;
  truncated: boolean;
}

/** `GET /quarantine`: one page, newest first. */
export interface QuarantinePage {
  items: QuarantineEntryView[];
  nextCursor?: string;
}

/** An alarm as `GET /alarms` lists it: the alarm item without its notification bookkeeping. */
export type AlarmSummary = Omit<Alarm, 'pending' | 'sending' | 'lastEntry'>;

/** `GET /alarms`: one page of open (or closed) alarms. */
export interface AlarmPage {
  items: AlarmSummary[];
  nextCursor?: string;
}

/** A bin's fill, rate and forecast as `GET /bins` and `GET /bins/{id}` present them. */
export interface BinStatusView {
  binId: string;
  siteId: string;
  siteName: string;
  siteNameZh: BinDevice['siteNameZh'];
  siteType: BinDevice['siteType'];
  township: string;
  wasteStream: BinDevice['wasteStream'];
  capacityL: number;
  location: BinDevice['location'];
  fillPct: number | null;
  levelPct: number | null;
  lastReadingAt: string | null;
  latestFlag: NonNullable<FillReading['flag']> | null;
  thresholdPct: number;
  aboveThreshold: boolean;
  overflowing: boolean;
  ratePctPerHour: number | null;
  noisePct: number | null;
  thresholdAt: string | null;
  hoursToThreshold: number | null;
  fullAt: string | null;
  forecast: BinForecast['status'];
  reason: string | null;
  readingsSinceCollection: number;
  lastCollection: { at: string | null; fromPct: number; toPct: number } | null;
}

/** `GET /bins`: the collection list, most urgent first. */
export interface BinList {
  at: string | null;
  township: string | null;
  needsCollectionWithin: string | null;
  items: BinStatusView[];
}

/** One emptying of a bin, as the collection report and the bin detail list it. */
export interface CollectionEventView {
  binId: string;
  siteId: string;
  township: string;
  wasteStream: string;
  /** The first reading after the emptying. */
  at: string | null;
  fromPct: number;
  toPct: number;
  lastFullReadingAt: string | null;
}

/** `GET /bins/{id}`: the status, a summary of the fill history and the collections in it. */
export interface BinDetailView extends BinStatusView {
  depthMm: number;
  history: FillHistorySummary & { from: string | null; to: string | null; truncated: boolean };
  collections: CollectionEventView[];
}

/** `GET /bins/collections`: collection events per township over a period. */
export interface CollectionReportView {
  from: string | null;
  to: string | null;
  total: number;
  byWasteStream: Record<string, number>;
  townships: (Omit<TownshipCollections, 'events'> & { events: CollectionEventView[] })[];
}

/** `GET /devices/{id}/series`: one metric over a range, at most `points` points, for charts. */
export interface SeriesPoint {
  /** Bucket start (or the sample time, for raw points), epoch ms. */
  t: number;
  min: number;
  max: number;
  mean: number;
  /** Valid samples in the bucket (1 for a raw point). */
  n: number;
}

export interface SeriesResponse {
  deviceId: string;
  metric: string;
  from: number;
  to: number;
  /** `raw`: one point per sample; otherwise buckets of `bucketMs` from hourly or daily roll-ups (raw at the edge not yet rolled up). */
  resolution: 'raw' | 'bucket';
  bucketMs?: number;
  source: ('raw' | 'hour' | 'day')[];
  points: SeriesPoint[];
  /** The device's limit and warning levels for this metric, for the chart's lines. */
  levels?: { limitMin?: number; limitMax?: number; warnMin?: number; warnMax?: number; citation?: string };
}
