import { describe, expect, it } from 'vitest';
import { CSV_TABLES, type CsvTable, complianceCsv } from '../../../functions/api/report-csv';
import type { ComplianceReport } from '../../../functions/core/compliance-types';
import { complianceFixture as fixture, nth } from '../../helpers/compliance-fixture';

/** An RFC 4180 reader written apart from the writer: records of fields, quotes doubled inside quoted fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') throw new Error(`bare line break at ${i}`);
    else field += c;
    i++;
  }
  if (quoted) throw new Error('unterminated quote');
  if (field !== '' || record.length) throw new Error('last record has no CRLF');
  return records;
}

/** The table as objects by header name, after checking the file's framing. */
function rows(report: ComplianceReport, table: CsvTable): Record<string, string>[] {
  const text = complianceCsv(report, table);
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const [header = [], ...body] = parseCsv(text.slice(1));
  for (const r of body) expect(r).toHaveLength(header.length);
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const close = (cell: string | undefined, value: number | null, places = 6) =>
  value === null
    ? expect(cell).toBe('')
    : expect(Math.abs(Number(cell ?? 'NaN') - value)).toBeLessThanOrEqual(10 ** -places / 2);

/** An ISO-8601 cell as epoch ms; an empty cell as undefined. */
const when = (cell: string | undefined) => (cell ? Date.parse(cell) : undefined);

const hoursOf = (ms: number) => ms / 3_600_000;

const site0 = nth(fixture.sites, 0);
const event0 = nth(fixture.exceedances, 0);
/** The one row a table must have. */
const one = (table: Record<string, string>[]) => nth(table, 0);

describe('complianceCsv framing', () => {
  it.each(CSV_TABLES)('%s: BOM, one header row, CRLF only, every record as wide as the header', (table) => {
    const text = complianceCsv(fixture, table);
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    // The fixture holds no line break inside a field, so every line is one record.
    const lines = text.slice(1, -2).split('\r\n');
    expect(lines.every((l) => !/[\r\n]/.test(l))).toBe(true);
    const [header = [], ...body] = parseCsv(text.slice(1));
    expect(lines).toHaveLength(body.length + 1);
    expect(header.every((h) => /^[a-z_]+$/.test(h))).toBe(true);
  });

  it('refuses a table it does not know, naming the ones it does', () => {
    expect(() => complianceCsv(fixture, 'constructor' as CsvTable)).toThrow(/one of sites, metrics/);
  });

  it('quotes commas, quotes and line breaks (RFC 4180) and reads back the same text', () => {
    const name = 'He said "hi", then\r\nleft\nagain';
    const report = {
      ...fixture,
      sites: [{ ...site0, siteName: name, siteNameZh: '水厂，"一号"' }],
    };
    const row = one(rows(report, 'sites'));
    expect(row.site_name).toBe(name);
    expect(row.site_name_zh).toBe('水厂，"一号"');
    expect(complianceCsv(report, 'sites')).toContain('"He said ""hi"", then\r\nleft\nagain"');
  });

  it('prefixes text cells a spreadsheet would run as a formula, and leaves computed numbers alone', () => {
    const hostile = ['=HYPERLINK("http://x.example","y")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\r=1'];
    const report: ComplianceReport = {
      ...fixture,
      sites: hostile.map((siteName, i) => ({ ...site0, siteId: `s${i}`, siteName })),
      exceedances: [{ ...event0, peak: -3.5, ackedBy: '=cmd|" /C calc"!A0' }],
    };
    const names = rows(report, 'sites').map((r) => r.site_name);
    expect(names).toEqual(hostile.map((h) => `'${h}`));
    const event = one(rows(report, 'exceedances'));
    expect(event.peak).toBe('-3.5');
    expect(event.acked_by).toBe(`'=cmd|" /C calc"!A0`);
  });

  it('never rounds a rate to 1 or 0 that is not', () => {
    const near = { ...site0.overall, rate: 0.99999999, timeRate: 0.00000001 };
    const row = one(rows({ ...fixture, sites: [{ ...site0, overall: near }] }, 'sites'));
    expect(row.compliance_rate).toBe('0.999999');
    expect(row.time_compliance_rate).toBe('0.000001');
  });
});

describe('complianceCsv tables against the fixture', () => {
  it('sites: one row per site with its overall figures', () => {
    const table = rows(fixture, 'sites');
    expect(table.map((r) => r.site_id)).toEqual(fixture.sites.map((s) => s.siteId));
    for (const [i, s] of fixture.sites.entries()) {
      const r = nth(table, i);
      expect(r.site_name_zh).toBe(s.siteNameZh);
      expect(r.township).toBe(s.township);
      expect(r.measurement_points).toBe(s.measurementPoints.join(';'));
      expect(Number(r.valid_samples)).toBe(s.overall.valid);
      expect(Number(r.within_samples)).toBe(s.overall.within);
      close(r.compliance_rate, s.overall.rate);
      close(r.time_compliance_rate, s.overall.timeRate);
      close(r.valid_hours, hoursOf(s.overall.validMs), 3);
      expect(Number(r.over_warning_samples)).toBe(s.overall.overWarning);
    }
  });

  it('metrics: county, townships, points and sites, overall then each metric, with the limits that applied', () => {
    const table = rows(fixture, 'metrics');
    const scopes = [
      { level: 'county', scope: fixture.scope.county, s: fixture.county },
      ...fixture.townships.map((t) => ({ level: 'township', scope: t.township, s: t })),
      ...fixture.measurementPoints.map((p) => ({
        level: 'measurement_point',
        scope: p.measurementPoint,
        s: p,
      })),
      ...fixture.sites.map((s) => ({ level: 'site', scope: s.siteId, s })),
    ];
    expect(table).toHaveLength(scopes.reduce((n, x) => n + 1 + Object.keys(x.s.byMetric).length, 0));
    for (const { level, scope, s } of scopes) {
      const mine = table.filter((r) => r.level === level && r.scope === scope);
      expect(one(mine).metric).toBe('overall');
      close(one(mine).compliance_rate, s.overall.rate);
      for (const [metric, f] of Object.entries(s.byMetric)) {
        const r = mine.find((x) => x.metric === metric);
        expect(r, `${level} ${scope} ${metric}`).toBeDefined();
        expect(Number(r?.valid_samples)).toBe(f.valid);
        close(r?.compliance_rate, f.rate);
      }
    }
    const outletChlorine = table.find(
      (r) => r.level === 'site' && r.scope === 'plant-town' && r.metric === 'free_chlorine_mg_l',
    );
    expect(outletChlorine).toMatchObject({
      limit_min: '0.3',
      limit_max: '2',
      citation: 'GB 5749-2022 Table 2',
    });
  });

  it('exceedances: times in China time with offset, durations in minutes, open ends empty', () => {
    const table = rows(fixture, 'exceedances');
    expect(table).toHaveLength(fixture.exceedances.length);
    for (const [i, e] of fixture.exceedances.entries()) {
      const r = nth(table, i);
      expect(r.alarm_id).toBe(e.alarmId);
      expect(r.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
      expect(when(r.start)).toBe(e.start);
      expect(when(r.end)).toBe(e.end);
      close(r.duration_min, e.durationMs / 60_000, 1);
      expect(Number(r.peak)).toBe(e.peak);
      expect(r.limit === '' ? undefined : Number(r.limit)).toBe(e.limit?.value);
      expect(when(r.acked_at)).toBe(e.ackedAt);
      expect(r.acked_by || undefined).toBe(e.ackedBy);
    }
    expect(one(table).start).toBe('2026-11-14T06:12:00+08:00');
  });

  it('completeness: expected, received, rate and the excluded windows', () => {
    const table = rows(fixture, 'completeness');
    expect(table.map((r) => r.device_id)).toEqual(fixture.completeness.map((d) => d.deviceId));
    for (const [i, d] of fixture.completeness.entries()) {
      const r = nth(table, i);
      expect([Number(r.expected_samples), Number(r.received_samples)]).toEqual([d.expected, d.received]);
      close(r.completeness_rate, d.rate);
      close(r.excluded_hours, hoursOf(d.excluded.reduce((n, w) => n + w.to - w.from, 0)), 3);
      for (const w of d.excluded) expect(r.excluded_windows).toContain(w.reason);
    }
    const school = table.find((r) => r.device_id === 'wq-town-school-tap');
    expect(school?.excluded_windows).toBe(
      'maintenance 2026-11-20T09:00:00+08:00/2026-11-22T09:00:00+08:00 (sensor cleaning & recalibration <pH probe>) by engineer-li',
    );
  });

  it('sensor-faults: flagged time and samples per device and metric, with the fault alarms', () => {
    const table = rows(fixture, 'sensor-faults');
    expect(table).toHaveLength(fixture.sensorFaults.length);
    for (const [i, f] of fixture.sensorFaults.entries()) {
      expect(nth(table, i)).toMatchObject({ device_id: f.deviceId, metric: f.metric });
      close(nth(table, i).flagged_hours, hoursOf(f.flaggedMs), 3);
      expect(Number(nth(table, i).flagged_samples)).toBe(f.flaggedSamples);
      expect(Number(nth(table, i).episodes)).toBe(f.episodes.length);
      for (const e of f.episodes) expect(nth(table, i).episode_list).toContain(e.alarmId);
    }
  });

  it('waste: the county and each township with every figure, then collections per stream', () => {
    const table = rows(fixture, 'waste');
    const all = (township: string) => table.find((r) => r.township === township && r.waste_stream === 'all');
    expect(Number(all('(county)')?.collections)).toBe(fixture.waste.collections);
    for (const t of fixture.waste.townships) {
      expect(all(t.township)).toMatchObject({
        collections: String(t.collections),
        overflow_events: String(t.overflowEvents),
        fire_events: String(t.fireEvents),
        bins_overflowed_before_collection: String(t.binsOverflowedBeforeCollection),
      });
      close(all(t.township)?.mean_fill_at_collection_pct, t.meanFillAtCollectionPct, 1);
      for (const [stream, n] of Object.entries(t.byWasteStream))
        expect(table.find((r) => r.township === t.township && r.waste_stream === stream)?.collections).toBe(
          String(n),
        );
    }
    // Collections weighted: (81.4·26 + 76.25·61 + 68.9·10) / 97.
    close(all('(county)')?.mean_fill_at_collection_pct, (81.4 * 26 + 76.25 * 61 + 68.9 * 10) / 97, 1);
  });
});
