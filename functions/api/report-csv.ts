import type {
  ComplianceReport,
  ComplianceSummary,
  ExcludedWindow,
  LimitApplied,
  RateFigures,
  SensorFaultTime,
  TownshipWaste,
} from '../core/compliance-types';
import { chinaIso, countyWaste, hours, RATE_DECIMALS, roundRate } from './report-format';

/**
 * The compliance report as CSV, one table per file: RFC 4180 (fields quoted when they hold a comma, quote or line
 * break; CRLF line ends), UTF-8 with a byte-order mark so Excel in a Chinese locale opens it as UTF-8 rather than
 * GBK, one header row. Rates are fractions 0–1 with {@link RATE_DECIMALS} places (never rounded to 0 or 1 when they
 * are not), times ISO-8601 in China time (`+08:00`), durations in hours (3 places) or minutes (1 place). Text cells
 * that a spreadsheet would read as a formula (starting with = + - @, tab or CR) are prefixed with `'`.
 */

/** The tables the report exports, one CSV each. */
export const CSV_TABLES = [
  'sites',
  'metrics',
  'exceedances',
  'completeness',
  'sensor-faults',
  'waste',
] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

type Cell = string | number | null | undefined;

/** Byte-order mark: Excel reads a CSV without it in the system code page (GBK in China), garbling Chinese names. */
const BOM = '\uFEFF';

/** A text cell: neutralised against formula injection (OWASP), then quoted per RFC 4180 where needed. */
function textCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Numbers we compute are written as numbers (a negative temperature must stay a number, not become text). */
function cell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return textCell(value);
}

function csv(header: readonly string[], rows: Cell[][]): string {
  return `${BOM}${[header.map(textCell), ...rows.map((r) => r.map(cell))].map((r) => r.join(',')).join('\r\n')}\r\n`;
}

const rate = (r: number | null): Cell => (r === null ? '' : roundRate(r, RATE_DECIMALS));
const time = (ms: number | undefined): Cell => (ms === undefined ? '' : chinaIso(ms));
const minutes = (ms: number | undefined): Cell => (ms === undefined ? '' : Number((ms / 60_000).toFixed(1)));

const RATE_HEADER = [
  'valid_samples',
  'within_samples',
  'compliance_rate',
  'valid_hours',
  'within_hours',
  'time_compliance_rate',
  'over_warning_samples',
] as const;

function rateCells(f: RateFigures): Cell[] {
  return [
    f.valid,
    f.within,
    rate(f.rate),
    hours(f.validMs),
    hours(f.withinMs),
    rate(f.timeRate),
    f.overWarning,
  ];
}

function windowsText(windows: ExcludedWindow[]): string {
  return windows
    .map(
      (w) =>
        `${w.reason} ${chinaIso(w.from)}/${chinaIso(w.to)}` +
        (w.note ? ` (${w.note})` : '') +
        (w.by ? ` by ${w.by}` : ''),
    )
    .join('; ');
}

function sites(report: ComplianceReport): string {
  return csv(
    [
      'site_id',
      'site_name',
      'site_name_zh',
      'township',
      'site_type',
      'supply_class',
      'disinfectant',
      'measurement_points',
      'devices',
      ...RATE_HEADER,
    ],
    report.sites.map((s) => [
      s.siteId,
      s.siteName,
      s.siteNameZh,
      s.township,
      s.siteType,
      s.supplyClass,
      s.disinfectant,
      s.measurementPoints.join(';'),
      s.devices,
      ...rateCells(s.overall),
    ]),
  );
}

/** One row per scope (county, township, measurement point, site) and metric, `overall` first. */
function metrics(report: ComplianceReport): string {
  const rows: Cell[][] = [];
  const add = (level: string, scope: string, s: ComplianceSummary, limits: LimitApplied[] = []) => {
    rows.push([level, scope, 'overall', '', '', '', '', '', ...rateCells(s.overall)]);
    for (const [metric, f] of Object.entries(s.byMetric)) {
      const l = limits.find((x) => x.metric === metric);
      rows.push([
        level,
        scope,
        metric,
        l?.limitMin,
        l?.limitMax,
        l?.warnMin,
        l?.warnMax,
        l?.citation,
        ...rateCells(f),
      ]);
    }
  };
  add('county', report.scope.county, report.county);
  for (const t of report.townships) add('township', t.township, t);
  for (const p of report.measurementPoints) add('measurement_point', p.measurementPoint, p);
  for (const s of report.sites) add('site', s.siteId, s, s.limits);
  return csv(
    [
      'level',
      'scope',
      'metric',
      'limit_min',
      'limit_max',
      'warning_min',
      'warning_max',
      'citation',
      ...RATE_HEADER,
    ],
    rows,
  );
}

function exceedances(report: ComplianceReport): string {
  return csv(
    [
      'alarm_id',
      'device_id',
      'site_id',
      'site_name',
      'township',
      'measurement_point',
      'metric',
      'condition',
      'severity',
      'start',
      'end',
      'duration_min',
      'peak',
      'limit',
      'limit_direction',
      'citation',
      'acked_at',
      'acked_by',
      'ack_delay_min',
    ],
    report.exceedances.map((e) => [
      e.alarmId,
      e.deviceId,
      e.siteId,
      e.siteName,
      e.township,
      e.measurementPoint,
      e.metric,
      e.condition,
      e.severity,
      time(e.start),
      time(e.end),
      minutes(e.durationMs),
      e.peak,
      e.limit?.value,
      e.limit?.direction,
      e.limit?.citation,
      time(e.ackedAt),
      e.ackedBy,
      minutes(e.ackDelayMs),
    ]),
  );
}

function completeness(report: ComplianceReport): string {
  return csv(
    [
      'device_id',
      'site_id',
      'township',
      'kind',
      'interval_s',
      'expected_samples',
      'received_samples',
      'completeness_rate',
      'excluded_hours',
      'excluded_windows',
    ],
    report.completeness.map((d) => [
      d.deviceId,
      d.siteId,
      d.township,
      d.kind,
      d.intervalS,
      d.expected,
      d.received,
      rate(d.rate),
      hours(d.excluded.reduce((n, w) => n + (w.to - w.from), 0)),
      windowsText(d.excluded),
    ]),
  );
}

function sensorFaults(report: ComplianceReport): string {
  return csv(
    ['device_id', 'site_id', 'metric', 'flagged_hours', 'flagged_samples', 'episodes', 'episode_list'],
    report.sensorFaults.map((f: SensorFaultTime) => [
      f.deviceId,
      f.siteId,
      f.metric,
      hours(f.flaggedMs),
      f.flaggedSamples,
      f.episodes.length,
      f.episodes
        .map(
          (e) =>
            `${e.alarmId} ${e.condition} ${chinaIso(e.start)}/${e.end === undefined ? '' : chinaIso(e.end)}`,
        )
        .join('; '),
    ]),
  );
}

const fill = (pct: number | null): Cell => (pct === null ? '' : Number(pct.toFixed(1)));

/**
 * One `all` row per township (and one for the county, township `(county)`) with every figure, followed by one row
 * per waste stream with its collections only: the report counts overflow, fire and fill per township, not per stream.
 */
function waste(report: ComplianceReport): string {
  const rows: Cell[][] = [];
  const add = (level: string, t: TownshipWaste) => {
    rows.push([
      level,
      t.township,
      'all',
      t.collections,
      t.overflowEvents,
      t.fireEvents,
      fill(t.meanFillAtCollectionPct),
      t.binsOverflowedBeforeCollection,
    ]);
    for (const [stream, n] of Object.entries(t.byWasteStream).sort(([a], [b]) => a.localeCompare(b)))
      rows.push([level, t.township, stream, n, '', '', '', '']);
  };
  add('county', countyWaste(report.waste, '(county)'));
  for (const t of report.waste.townships) add('township', t);
  return csv(
    [
      'level',
      'township',
      'waste_stream',
      'collections',
      'overflow_events',
      'fire_events',
      'mean_fill_at_collection_pct',
      'bins_overflowed_before_collection',
    ],
    rows,
  );
}

const RENDER: Record<CsvTable, (report: ComplianceReport) => string> = {
  sites,
  metrics,
  exceedances,
  completeness,
  'sensor-faults': sensorFaults,
  waste,
};

/** One table of the report as a CSV file's text (BOM included; write it as UTF-8). */
export function complianceCsv(report: ComplianceReport, table: CsvTable): string {
  const render = Object.hasOwn(RENDER, table) ? RENDER[table] : undefined;
  if (!render) throw new Error(`unknown CSV table "${table}"; one of ${CSV_TABLES.join(', ')}`);
  return render(report);
}
