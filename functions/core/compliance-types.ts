/**
 * The compliance report as data: what `GET /reports/compliance` returns as JSON and what the CSV, HTML and PDF
 * renderings show. Times are epoch ms; the report's calendar is China time (UTC+8).
 */

/** Samples within limits ÷ valid samples, counted and time-weighted. `null` rates: nothing valid to judge. */
export interface RateFigures {
  /** Valid samples of metrics that have a limit (per metric: of that metric). */
  valid: number;
  within: number;
  rate: number | null;
  validMs: number;
  withinMs: number;
  timeRate: number | null;
  /** Valid samples over the early-warning level (including over the limit). */
  overWarning: number;
}

/** Rates of a group of devices: overall (every metric-sample with a limit pooled) and per metric. */
export interface ComplianceSummary {
  overall: RateFigures;
  byMetric: Record<string, RateFigures>;
  devices: number;
  sites: number;
}

export interface LimitApplied {
  metric: string;
  limitMin?: number;
  limitMax?: number;
  warnMin?: number;
  warnMax?: number;
  citation?: string;
}

export interface SiteCompliance extends ComplianceSummary {
  siteId: string;
  siteName: string;
  siteNameZh?: string;
  township: string;
  siteType: string;
  supplyClass: string;
  disinfectant: string;
  measurementPoints: string[];
  limits: LimitApplied[];
  /** Per China-time day of the period: the overall rate (for the report's small charts). */
  daily: { day: string; rate: number | null }[];
}

export interface ExceedanceEvent {
  alarmId: string;
  deviceId: string;
  siteId: string;
  siteName: string;
  township: string;
  measurementPoint?: string;
  metric?: string;
  condition: string;
  severity: string;
  /** Sample time that raised it; `end` is the sample time that cleared it, absent when still active at `to`. */
  start: number;
  end?: number;
  /** Within the report period. */
  durationMs: number;
  /** The most extreme value in the breach direction during the episode. */
  peak?: number;
  limit?: { value: number; direction: 'min' | 'max'; citation: string };
  ackedAt?: number;
  ackedBy?: string;
  /** From raise to acknowledgement. */
  ackDelayMs?: number;
}

export interface ExcludedWindow {
  from: number;
  to: number;
  reason: 'maintenance' | 'outage' | 'not_commissioned';
  note?: string;
  by?: string;
}

export interface DeviceCompleteness {
  deviceId: string;
  siteId: string;
  township: string;
  kind: 'water' | 'bin';
  intervalS: number;
  /** (period − excluded time) / interval, rounded down. */
  expected: number;
  /** Samples stored with a time in the period outside excluded windows. */
  received: number;
  rate: number | null;
  excluded: ExcludedWindow[];
}

export interface SensorFaultTime {
  deviceId: string;
  siteId: string;
  metric: string;
  /** Time of flagged samples (roll-ups' `flaggedMs`), excluded from compliance. */
  flaggedMs: number;
  flaggedSamples: number;
  /** Sensor-fault alarm episodes overlapping the period. */
  episodes: { alarmId: string; condition: string; start: number; end?: number }[];
}

export interface TownshipWaste {
  township: string;
  collections: number;
  byWasteStream: Record<string, number>;
  overflowEvents: number;
  fireEvents: number;
  /** Mean fill just before each collection, %. */
  meanFillAtCollectionPct: number | null;
  /** Bins whose overflow alarm was raised before the collection that emptied them. */
  binsOverflowedBeforeCollection: number;
}

export interface WasteSummary {
  collections: number;
  byWasteStream: Record<string, number>;
  townships: TownshipWaste[];
}

export interface ComplianceReport {
  /** [from, to), epoch ms; `label` like `2026-11` for a calendar month, else `2026-11-03 – 2026-11-09`. */
  period: { from: number; to: number; label: string; timeZone: 'Asia/Shanghai' };
  generatedAt: number;
  scope: { county: string; township?: string; siteId?: string };
  county: ComplianceSummary;
  townships: (ComplianceSummary & { township: string })[];
  measurementPoints: (ComplianceSummary & { measurementPoint: string })[];
  sites: SiteCompliance[];
  exceedances: ExceedanceEvent[];
  completeness: DeviceCompleteness[];
  sensorFaults: SensorFaultTime[];
  waste: WasteSummary;
  /** How the numbers were computed, and anything the reader should know (e.g. hours not yet rolled up). */
  notes: string[];
}
