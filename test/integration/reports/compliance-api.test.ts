import '../../helpers/quiet-logs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDeps } from '../../../functions/composition';
import { limitsApplied } from '../../../functions/core/compliance';
import type { ComplianceReport } from '../../../functions/core/compliance-types';
import type { Device } from '../../../functions/core/registry';
import { buildApiHandler } from '../../../functions/handlers/api-handler';
import { type ApiCaller, apiEvent, lambdaContext } from '../../helpers/aws-events';
import { fileDeadLetters } from '../../helpers/dead-letters';
import { type RawSample, rollupsFromSamples } from '../../helpers/rollup-fake';
import { waterDevice } from '../../helpers/telemetry';
import { type Harness, startHarness } from '../alarms/harness';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
/** 2026-11-02 00:00 in Beijing. */
const DAY = Date.UTC(2026, 10, 1, 16);

const outlet = waterDevice('wq-outlet', { siteId: 'plant-town', township: 'Town', intervalS: 600 });
const tap = waterDevice('wq-tap', {
  siteId: 'tap-village',
  township: 'Village',
  measurementPoint: 'tap',
  intervalS: 600,
} as Partial<Device>);

/** The outlet's day: free chlorine healthy, a chlorine loss from 06:00 to 07:30 (lowest 0.08), then healthy again. */
const LOSS = { from: DAY + 6 * H, to: DAY + 7.5 * H };
const lossValues = [0.12, 0.08, 0.1, 0.11, 0.09, 0.13, 0.1, 0.12, 0.11];
function outletDay(): RawSample[] {
  const out: RawSample[] = [];
  for (let i = 0; i < 144; i++) {
    const ts = DAY + i * 10 * MIN;
    const inLoss = ts >= LOSS.from && ts < LOSS.to;
    const chlorine = inLoss ? (lossValues[(ts - LOSS.from) / (10 * MIN)] as number) : 0.5 + (i % 7) / 100;
    out.push({
      ts,
      seq: i,
      m: { free_chlorine_mg_l: chlorine, turbidity_ntu: 0.2 + (i % 5) / 10, ph: 7.2 + (i % 3) / 10 },
    });
  }
  return out;
}
function tapDay(): RawSample[] {
  const out: RawSample[] = [];
  // The tap reports only until 18:00: the rest of the day is a known outage.
  for (let i = 0; i < 108; i++)
    out.push({
      ts: DAY + i * 10 * MIN,
      seq: i,
      m: { free_chlorine_mg_l: 0.2 + (i % 4) / 100, ph: 7 + (i % 6) / 10 },
    });
  return out;
}

describe('compliance report, windows and outages through the API, against dynalite', () => {
  let h: Harness;
  const raw = new Map<string, RawSample[]>([
    [outlet.id, outletDay()],
    [tap.id, tapDay()],
  ]);

  async function api(
    routeKey: string,
    options: { id?: string; query?: Record<string, string>; body?: unknown; caller?: ApiCaller } = {},
  ) {
    const handler = buildApiHandler(apiDeps(h.service, fileDeadLetters(tmpdir())));
    const event = apiEvent(routeKey, {
      ...(options.id ? { pathParameters: { id: options.id } } : {}),
      ...(options.query ? { query: options.query } : {}),
      ...(options.caller ? { caller: options.caller } : {}),
    });
    if (options.body !== undefined) event.body = JSON.stringify(options.body);
    const res = await handler(event, lambdaContext('api'));
    const type = String(res.headers?.['content-type'] ?? '');
    return {
      status: res.statusCode,
      type,
      text: res.body ?? '',
      body: (type.startsWith('application/json') ? JSON.parse(res.body ?? 'null') : null) as Record<
        string,
        unknown
      >,
    };
  }

  beforeAll(async () => {
    h = await startHarness([outlet, tap], DAY);
    for (const d of [outlet, tap]) {
      const samples = raw.get(d.id) ?? [];
      for (let i = 0; i < samples.length; i += 12) {
        const chunk = samples.slice(i, i + 12);
        h.clock.t = (chunk.at(-1) as RawSample).ts + 5_000;
        expect(await h.ingest(d.id, 'water', [{ v: 1, samples: chunk }])).toEqual([]);
      }
    }
    h.clock.t = DAY + D + H;
    // The roll-ups as the job would write them (computed here by brute force from the same samples).
    await h.service.rollups.put([outlet, tap].flatMap((d) => rollupsFromSamples(d, raw.get(d.id) ?? [])));
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('records maintenance as a window and ends it early when turned off', async () => {
    h.clock.t = DAY + D + H;
    const on = await api('POST /devices/{id}/maintenance', {
      id: outlet.id,
      body: { on: true, until: DAY + D + 5 * H, reason: 'probe swap' },
    });
    expect(on.status).toBe(200);
    // Renewed with an earlier end: the running window ends now and the new one runs to the new end.
    h.clock.t = DAY + D + 1.5 * H;
    const renewed = await api('POST /devices/{id}/maintenance', {
      id: outlet.id,
      body: { on: true, until: DAY + D + 3 * H, reason: 'probe swap, second try' },
    });
    expect(renewed.status).toBe(200);
    h.clock.t = DAY + D + 2 * H;
    expect((await api('POST /devices/{id}/maintenance', { id: outlet.id, body: { on: false } })).status).toBe(
      200,
    );
    const list = await api('GET /devices/{id}/windows', {
      id: outlet.id,
      query: { from: String(DAY), to: String(DAY + 2 * D) },
    });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        deviceId: outlet.id,
        kind: 'maintenance',
        from: DAY + D + H,
        to: DAY + D + 1.5 * H,
        reason: 'probe swap',
        by: 'admin-test',
      }),
      expect.objectContaining({
        from: DAY + D + 1.5 * H,
        to: DAY + D + 2 * H,
        reason: 'probe swap, second try',
      }),
    ]);
    // A window outside the range asked for is not listed.
    const before = await api('GET /devices/{id}/windows', {
      id: outlet.id,
      query: { from: String(DAY), to: String(DAY + D) },
    });
    expect(before.body.items).toEqual([]);
  });

  it('the window store: half-open overlap, windows begun before the range, one item per device, start and kind', async () => {
    const w = h.service.windows;
    const dev = 'wq-windows-only';
    const base = DAY + 10 * D;
    await w.record({ deviceId: dev, kind: 'outage', from: base - 30 * D, to: base + H, recordedAt: base });
    await w.record({ deviceId: dev, kind: 'outage', from: base - 2 * H, to: base, recordedAt: base });
    await w.record({
      deviceId: dev,
      kind: 'maintenance',
      from: base + 2 * H,
      to: base + 3 * H,
      recordedAt: base,
    });
    // The same start and kind again replaces the item (a retried request).
    await w.record({
      deviceId: dev,
      kind: 'maintenance',
      from: base + 2 * H,
      to: base + 4 * H,
      recordedAt: base,
    });
    const listed = await w.list(dev, base, base + 3 * H);
    expect(listed.map((x) => [x.kind, x.from - base, x.to - base])).toEqual([
      ['outage', -30 * D, H],
      ['maintenance', 2 * H, 4 * H],
    ]);
    expect(await w.list(dev, base + 4 * H, base + 5 * H)).toEqual([]);
    expect(await w.endMaintenance(dev, base + 3 * H)).toBe(1);
    expect((await w.list(dev, base, base + D)).at(-1)?.to).toBe(base + 3 * H);
    // Nothing running any more: nothing to end.
    expect(await w.endMaintenance(dev, base + 3 * H)).toBe(0);
  });

  it('takes a known outage from an engineer, checked, and refuses what it cannot use', async () => {
    h.clock.t = DAY + D + 3 * H;
    const outage = {
      from: DAY + 18 * H,
      to: DAY + D,
      reason: 'power cut at the pump house',
      by: 'admin-test',
    };
    const bad = async (body: unknown, message: RegExp, status = 400, caller?: ApiCaller) => {
      const res = await api('POST /devices/{id}/outages', {
        id: tap.id,
        body,
        ...(caller ? { caller } : {}),
      });
      expect(res.status).toBe(status);
      expect(String(res.body.message)).toMatch(message);
    };
    await bad({ ...outage, to: outage.from }, /from must be before to/);
    await bad({ ...outage, to: h.clock.t + H }, /must not be in the future/);
    await bad({ ...outage, from: outage.to - 32 * D }, /at most 31 days/);
    await bad({ ...outage, by: 'somebody-else' }, /is not the caller/, 403);
    await bad({ ...outage, by: 'viewer-wang' }, /needs the role engineer or admin/, 403, {
      username: 'viewer-wang',
      groups: ['viewer'],
    });
    const unknown = await api('POST /devices/{id}/outages', { id: 'wq-nowhere', body: outage });
    expect(unknown.status).toBe(404);

    const ok = await api('POST /devices/{id}/outages', { id: tap.id, body: outage });
    expect(ok.status).toBe(201);
    const list = await api('GET /devices/{id}/windows', {
      id: tap.id,
      query: { from: String(DAY), to: String(DAY + D) },
      caller: { username: 'viewer-wang', groups: ['viewer'] },
    });
    expect(list.body.items).toEqual([
      expect.objectContaining({ kind: 'outage', from: outage.from, to: outage.to, by: 'admin-test' }),
    ]);
  });

  it('the JSON report: rates equal a brute-force count, the chlorine loss is an exceedance with its peak', async () => {
    h.clock.t = DAY + D + 4 * H;
    const [alarm] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items
      .concat((await h.service.alarms.list({ status: 'closed', limit: 10 })).items)
      .filter((a) => a.condition === 'limit:free_chlorine_mg_l:min');
    expect(alarm).toBeDefined();
    await api('POST /alarms/{id}/ack', { id: alarm?.alarmId ?? '', body: { by: 'admin-test' } });

    const res = await api('GET /reports/compliance', {
      query: { from: new Date(DAY).toISOString(), to: String(DAY + D) },
      caller: { username: 'viewer-wang', groups: ['viewer'] },
    });
    expect(res.status).toBe(200);
    const report = res.body as unknown as ComplianceReport;

    let valid = 0;
    let within = 0;
    for (const d of [outlet, tap])
      for (const s of raw.get(d.id) ?? [])
        for (const l of limitsApplied(d)) {
          const v = s.m[l.metric];
          if (typeof v !== 'number') continue;
          valid++;
          if (!((l.limitMin !== undefined && v < l.limitMin) || (l.limitMax !== undefined && v > l.limitMax)))
            within++;
        }
    expect(report.county.overall).toMatchObject({ valid, within });
    expect(report.townships.map((t) => t.township)).toEqual(['Town', 'Village']);

    expect(report.exceedances).toHaveLength(1);
    expect(report.exceedances[0]).toMatchObject({
      alarmId: alarm?.alarmId,
      deviceId: outlet.id,
      metric: 'free_chlorine_mg_l',
      peak: 0.08,
      ackedBy: 'admin-test',
    });
    const e = report.exceedances[0];
    expect(e?.start).toBeGreaterThanOrEqual(LOSS.from);
    expect(e?.end).toBeGreaterThanOrEqual(LOSS.to);
    expect(e?.durationMs).toBe((e?.end ?? 0) - (e?.start ?? 0));

    const tapRow = report.completeness.find((c) => c.deviceId === tap.id);
    // 18:00–24:00 declared an outage: 108 samples expected, 108 received.
    expect(tapRow).toMatchObject({ expected: 108, received: 108, rate: 1 });
    expect(tapRow?.excluded).toEqual([
      expect.objectContaining({ reason: 'outage', note: 'power cut at the pump house', by: 'admin-test' }),
    ]);
    expect(report.completeness.find((c) => c.deviceId === outlet.id)).toMatchObject({
      expected: 144,
      received: 144,
    });
  });

  it('a month, a township and a site; a 4xx that says what to fix for anything else', async () => {
    const month = await api('GET /reports/compliance', { query: { month: '2026-11', township: 'Village' } });
    expect(month.status).toBe(200);
    expect((month.body as unknown as ComplianceReport).period.label).toBe('2026-11');
    expect((month.body as unknown as ComplianceReport).sites.map((s) => s.siteId)).toEqual(['tap-village']);
    const site = await api('GET /reports/compliance', { query: { month: '2026-11', siteId: 'plant-town' } });
    expect((site.body as unknown as ComplianceReport).completeness.map((c) => c.deviceId)).toEqual([
      outlet.id,
    ]);

    const refused = async (query: Record<string, string>, status: number, message: RegExp) => {
      const res = await api('GET /reports/compliance', { query });
      expect(res.status).toBe(status);
      expect(String(res.body.message)).toMatch(message);
    };
    await refused({ month: '2026-13' }, 400, /YYYY-MM/);
    await refused({ month: '2026-11', from: String(DAY) }, 400, /either month or from and to/);
    await refused({ from: String(DAY) }, 400, /both from and to/);
    await refused({ from: String(DAY + D), to: String(DAY) }, 400, /from must be before to/);
    await refused({ from: String(DAY - 400 * D), to: String(DAY) }, 400, /at most 366 days/);
    await refused(
      { month: '2026-11', township: 'Atlantis' },
      404,
      /township "Atlantis" has no registered devices/,
    );
    await refused({ month: '2026-11', siteId: 'plant-nowhere' }, 404, /site "plant-nowhere"/);
    await refused({ month: '2026-11', format: 'xml' }, 400, /format must be json, csv or html/);
    await refused({ month: '2026-11', format: 'csv' }, 400, /table, one of sites, metrics, exceedances/);
    await refused({ month: '2026-11', format: 'csv', table: 'bins' }, 400, /table/);
    await refused({ month: '2026-11', colour: 'red' }, 400, /colour/);
  });

  it('the same report as CSV (one table) and as printable HTML, from the same numbers', async () => {
    const query = { from: new Date(DAY).toISOString(), to: String(DAY + D) };
    const report = (await api('GET /reports/compliance', { query })).body as unknown as ComplianceReport;
    const csv = await api('GET /reports/compliance', { query: { ...query, format: 'csv', table: 'sites' } });
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    expect(csv.text.startsWith('\uFEFF')).toBe(true);
    const lines = csv.text.slice(1).trimEnd().split('\r\n');
    // One header row, then one row per site of the report.
    expect(lines).toHaveLength(1 + report.sites.length);
    for (const site of report.sites) expect(csv.text).toContain(site.siteId);

    const html = await api('GET /reports/compliance', { query: { ...query, format: 'html', lang: 'en' } });
    expect(html.status).toBe(200);
    expect(html.type).toBe('text/html; charset=utf-8');
    expect(html.text).toMatch(/^<!doctype html>/i);
    const exceedance = report.exceedances[0];
    expect(exceedance).toBeDefined();
    expect(html.text).toContain(exceedance?.alarmId ?? 'no exceedance');
  });
});
