import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CSV_TABLES, type CsvTable, complianceCsv } from '../../functions/api/report-csv';
import { complianceHtml, type ReportLang } from '../../functions/api/report-html';
import type { ComplianceReport } from '../../functions/core/compliance-types';
import { readApiToken } from '../local/api-token';
import { runningRuntime } from '../local/runtime-info';
import { chromiumPath, htmlToPdf } from './pdf';

/** `npm run report`'s help text. */
const REPORT_HELP = `Usage: npm run report -- --month 2026-11 --out report.pdf [options]

Fetches the water-safety compliance report from the API (GET /reports/compliance) and writes it as a file;
the format follows the extension of --out:
  .pdf    printable bilingual report, printed by headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
  .html   the same report as one self-contained HTML file (print it from any browser)
  .csv    one table of the report (--table), UTF-8 with BOM for Excel
  .json   the API's JSON as it came

Period (default: the last calendar month, China time, as the API decides):
  --month YYYY-MM        a calendar month, China time
  --from ISO --to ISO    any period [from, to): ISO-8601 with offset, or epoch ms

Options:
  --out FILE             where to write (required); written atomically (a temporary file, then renamed)
  --table NAME           for .csv: ${CSV_TABLES.join(', ')}
  --township NAME        one township only
  --site ID              one site only
  --lang zh|en|both      language of .pdf/.html (default both: Chinese first, English beside)
  --api URL              the API (default: the running npm start on this data dir, else http://127.0.0.1:3000;
                         in the cloud the stack output ApiUrl)
  --token-file FILE      a file holding the bearer token
  -h, --help

Token, first found: --token-file, $PAMIR_API_TOKEN (in the cloud: a Cognito access token), the token npm start
keeps in $DATA_DIR/api-token (DATA_DIR default .data). The report needs the role viewer or above.

Examples:
  npm run report -- --month 2026-11 --out report.pdf
  npm run report -- --month 2026-11 --out exceedances.csv --table exceedances
  npm run report -- --from 2026-11-03T00:00+08:00 --to 2026-11-10T00:00+08:00 --township Dabudar --out week.html

Formats and columns: docs/report-files.md.
`;

/** Where the command writes progress and what it reads its settings from (the process's, or a test's). */
export interface ReportIo {
  env: NodeJS.ProcessEnv;
  progress: (line: string) => void;
}

type Format = 'pdf' | 'html' | 'csv' | 'json';
const FORMATS: Record<string, Format> = {
  '.pdf': 'pdf',
  '.html': 'html',
  '.htm': 'html',
  '.csv': 'csv',
  '.json': 'json',
};
const LANGS: readonly ReportLang[] = ['zh', 'en', 'both'];
const DEFAULT_API = 'http://127.0.0.1:3000';
const FETCH_TIMEOUT_MS = 120_000;

async function runningApi(dataDir: string): Promise<string | undefined> {
  const running = await runningRuntime(dataDir);
  return running ? `http://127.0.0.1:${running.httpPort}` : undefined;
}

async function findToken(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<{ token: string; source: string }> {
  if (tokenFile) {
    let token: string;
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new Error(`cannot read the token file ${tokenFile}: ${(err as Error).message}`);
    }
    if (!token) throw new Error(`the token file ${tokenFile} is empty`);
    return { token, source: tokenFile };
  }
  if (env.PAMIR_API_TOKEN) return { token: env.PAMIR_API_TOKEN, source: '$PAMIR_API_TOKEN' };
  const kept = await readApiToken(dataDir, undefined);
  if (kept) return kept;
  throw new Error(
    `no API token: give --token-file FILE or set PAMIR_API_TOKEN (none in ${resolve(dataDir, 'api-token')} either)`,
  );
}

/** The body's `message` (the API's error shape), else its first 300 characters. */
function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: shown as text below
  }
  return body.slice(0, 300).trim();
}

function isReport(value: unknown): value is ComplianceReport {
  const r = value as Partial<ComplianceReport> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.period?.from === 'number' &&
    typeof r.period?.to === 'number' &&
    typeof r.county === 'object' &&
    Array.isArray(r.sites) &&
    Array.isArray(r.exceedances) &&
    Array.isArray(r.completeness) &&
    Array.isArray(r.sensorFaults) &&
    typeof r.waste === 'object'
  );
}

async function fetchReport(
  api: string,
  query: URLSearchParams,
  token: { token: string; source: string },
): Promise<ComplianceReport> {
  const url = `${api.replace(/\/+$/, '')}/reports/compliance${query.size ? `?${query}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${token.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new Error(
      `cannot reach the API at ${api} (${why}): is npm start running? Otherwise give --api URL`,
    );
  }
  const body = await res.text();
  if (res.status === 401)
    throw new Error(`401 from ${url}: the token from ${token.source} was refused (${messageOf(body)})`);
  if (!res.ok) throw new Error(`${res.status} from ${url}: ${messageOf(body) || res.statusText}`);
  let report: unknown;
  try {
    report = JSON.parse(body);
  } catch {
    throw new Error(`the API at ${url} answered ${res.status} but not with JSON: ${body.slice(0, 120)}`);
  }
  if (!isReport(report))
    throw new Error(`the API at ${url} answered ${res.status} but not with a compliance report`);
  return report;
}

/** Writes through a temporary file beside the target, so a reader never sees half a report. */
async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(err as Error).message}`);
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** `npm run report`: returns the exit code; a problem the user can fix is thrown as an Error with the fix in it. */
export async function runReport(argv: string[], io: ReportIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      month: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      township: { type: 'string' },
      site: { type: 'string' },
      lang: { type: 'string' },
      api: { type: 'string' },
      'token-file': { type: 'string' },
      out: { type: 'string' },
      table: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}" (--help)`);
  if (!values.out) throw new Error('--out FILE is required (.pdf, .html, .csv or .json; --help)');
  const format = FORMATS[extname(values.out).toLowerCase()];
  if (!format) throw new Error(`--out ${values.out}: the extension must be .pdf, .html, .csv or .json`);
  let table: CsvTable | undefined;
  if (format === 'csv') {
    if (!values.table || !(CSV_TABLES as readonly string[]).includes(values.table))
      throw new Error(
        `a .csv file holds one table: --table ${CSV_TABLES.join('|')}${values.table ? ` (not "${values.table}")` : ''}`,
      );
    table = values.table as CsvTable;
  } else if (values.table) throw new Error('--table is for .csv output only');
  const lang = (values.lang ?? 'both') as ReportLang;
  if (!LANGS.includes(lang)) throw new Error(`--lang must be zh, en or both (not "${values.lang}")`);
  if (values.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month))
    throw new Error(`--month must be YYYY-MM, e.g. 2026-11 (not "${values.month}")`);
  if (values.month && (values.from || values.to))
    throw new Error('give either --month or --from/--to, not both');

  const query = new URLSearchParams();
  for (const [key, value] of [
    ['month', values.month],
    ['from', values.from],
    ['to', values.to],
    ['township', values.township],
    ['siteId', values.site],
  ] as const)
    if (value !== undefined) query.set(key, value);

  const dataDir = io.env.DATA_DIR || '.data';
  const api = values.api ?? (await runningApi(dataDir)) ?? DEFAULT_API;
  const token = await findToken(values['token-file'], io.env, dataDir);
  const started = Date.now();
  io.progress(`fetching the compliance report ${query.size ? `(${query}) ` : ''}from ${api}`);
  const report = await fetchReport(api, query, token);
  io.progress(
    `report ${report.period.label}: ${report.sites.length} sites, ${report.exceedances.length} exceedance events ` +
      `(${Date.now() - started} ms)`,
  );

  let data: string | Buffer;
  if (format === 'json') data = `${JSON.stringify(report, null, 2)}\n`;
  else if (format === 'csv') data = complianceCsv(report, table as CsvTable);
  else {
    const html = complianceHtml(report, { lang });
    if (format === 'html') data = html;
    else {
      const t = Date.now();
      io.progress(`printing the PDF in Chromium (${chromiumPath(io.env)})`);
      data = await htmlToPdf(html, io.env);
      io.progress(`printed in ${Date.now() - t} ms`);
    }
  }
  await writeAtomically(values.out, data);
  io.progress(`wrote ${values.out} (${kib(Buffer.byteLength(data))})`);
  return 0;
}
