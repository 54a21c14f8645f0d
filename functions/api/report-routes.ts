import { z } from 'zod';
import { lastMonth, monthRange, type Range } from '../core/compliance';
import type { ComplianceReport } from '../core/compliance-types';
import { NotFoundError, ValidationError } from '../core/errors';
import { DAY_MS } from '../shared/time';
import { type ComplianceReportDeps, complianceReport } from '../use-cases/compliance-report';
import {
  type ApiEvent,
  type ApiResult,
  ID_FORMATS,
  idParam,
  json,
  parseQuery,
  textParam,
  timeParam,
} from './http';
import { CSV_TABLES, type CsvTable, complianceCsv } from './report-csv';
import { complianceHtml } from './report-html';

export type ReportApiDeps = ComplianceReportDeps;

/** The longest period one report covers: a year (a leap year's 366 days). */
const MAX_PERIOD_MS = 366 * DAY_MS;

const reportQuery = z
  .object({
    from: timeParam.optional(),
    to: timeParam.optional(),
    month: z.string().max(16).optional(),
    township: textParam.optional(),
    siteId: idParam(ID_FORMATS.site).optional(),
    format: z.string().max(16).default('json'),
    /** For `format=csv`: which table. */
    table: z.enum(CSV_TABLES).optional(),
    /** For `format=html`: the languages, both by default (Chinese first). */
    lang: z.enum(['zh', 'en', 'both']).default('both'),
  })
  .strict();
type ReportQuery = z.infer<typeof reportQuery>;

/** The renderings of a report by `format`, given the report and the query (its CSV table, its languages). */
const RENDERINGS: Record<string, (report: ComplianceReport, query: ReportQuery) => ApiResult> = {
  json: (report) => json(200, report),
  csv: (report, q) => ({
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'cache-control': 'no-store',
      // Only the table in the name: a range's label holds a non-ASCII dash.
      'content-disposition': `attachment; filename="compliance-${q.table}.csv"`,
    },
    body: complianceCsv(report, q.table as CsvTable),
  }),
  html: (report, q) => ({
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: complianceHtml(report, { lang: q.lang }),
  }),
};

/** The formats as a message lists them: "json", "json or csv", "json, csv or html". */
function formats(): string {
  const names = Object.keys(RENDERINGS);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** The period asked for: a month, a [from, to) range, or by default the last calendar month (China time). */
function periodOf(q: ReportQuery, now: number): Range {
  if (q.month !== undefined) {
    if (q.from !== undefined || q.to !== undefined)
      throw new ValidationError('give either month or from and to, not both');
    return monthRange(q.month);
  }
  if (q.from === undefined && q.to === undefined) return lastMonth(now);
  if (q.from === undefined || q.to === undefined)
    throw new ValidationError('give both from and to (to is exclusive), or a month such as 2026-11');
  if (q.from >= q.to) throw new ValidationError('query parameter from must be before to (to is exclusive)');
  if (q.to - q.from > MAX_PERIOD_MS)
    throw new ValidationError(
      'from and to may be at most 366 days apart; ask for one month or year at a time',
    );
  return { from: q.from, to: q.to };
}

/** The compliance report, keyed by route. */
export const reportRoutes: Record<string, (event: ApiEvent, deps: ReportApiDeps) => Promise<ApiResult>> = {
  'GET /reports/compliance': async (event, deps) => {
    const q = parseQuery(reportQuery, event);
    const render = Object.hasOwn(RENDERINGS, q.format) ? RENDERINGS[q.format] : undefined;
    if (!render) throw new ValidationError(`query parameter format must be ${formats()}`);
    if (q.format === 'csv' && q.table === undefined)
      throw new ValidationError(`format=csv needs query parameter table, one of ${CSV_TABLES.join(', ')}`);
    const period = periodOf(q, deps.clock.now());
    if (q.township !== undefined || q.siteId !== undefined) {
      const devices = await deps.registry.list({
        ...(q.township !== undefined ? { township: q.township } : {}),
        ...(q.siteId !== undefined ? { siteId: q.siteId } : {}),
      });
      if (devices.length === 0)
        throw new NotFoundError(
          q.siteId !== undefined
            ? `site "${q.siteId}"${q.township !== undefined ? ` in township "${q.township}"` : ''} has no registered devices; GET /devices lists the sites`
            : `township "${q.township}" has no registered devices; GET /devices lists the townships`,
        );
    }
    const report = await complianceReport(deps, { ...period, township: q.township, siteId: q.siteId });
    return render(report, q);
  },
};
