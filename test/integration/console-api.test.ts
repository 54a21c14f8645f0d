import '../helpers/quiet-logs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OverviewResponse, OverviewSite, WhoAmI } from '../../functions/api/console-types';
import { apiDeps } from '../../functions/composition';
import { fleetDevices } from '../../functions/core/registry';
import { buildApiHandler } from '../../functions/handlers/api-handler';
import { projectPath } from '../../infra/constructs/project-paths';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../../infra/fleet/read-fleet';
import { type ApiCaller, apiEvent, lambdaContext } from '../helpers/aws-events';
import { fileDeadLetters } from '../helpers/dead-letters';
import { HOUR, MINUTE, waterMetrics } from '../helpers/telemetry';
import { type Harness, startHarness } from './alarms/harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const Q = 15 * MINUTE;
const viewer: ApiCaller = { username: 'v-1', email: 'clerk@county.example.cn', groups: ['viewer'] };
const operator: ApiCaller = { username: 'o-1', email: 'ma@county.example.cn', groups: ['operator'] };

/** The overview and who-am-I routes, and the alarm list's ETag, through the real API handler over dynalite. */
describe('console API: GET /me, GET /overview, GET /alarms with ETag (example county, dynalite)', () => {
  let h: Harness;
  let handler: ReturnType<typeof buildApiHandler>;
  let overview: OverviewResponse;
  /** DynamoDB requests the overview sent, by command. */
  const overviewCalls: string[] = [];

  async function call(
    routeKey: string,
    options: Parameters<typeof apiEvent>[1] & { headers?: Record<string, string> } = {},
  ) {
    const event = apiEvent(routeKey, options);
    Object.assign(event.headers, options.headers ?? {});
    const res = await handler(event, lambdaContext('api'));
    return {
      status: res.statusCode,
      headers: (res.headers ?? {}) as Record<string, string>,
      raw: res.body ?? '',
      body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined,
    };
  }

  const water = (deviceId: string, ts: number, seq: number, m = waterMetrics(seq)) =>
    h.ingest(deviceId, 'water', [{ v: 1, ts, seq, m, battery_pct: 87 }]);
  const bin = (deviceId: string, from: number, fills: number[], temperature = 4) =>
    h.ingest(deviceId, 'bin', [
      {
        v: 1,
        samples: fills.map((f, k) => ({
          ts: from + k * Q,
          seq: k,
          m: { fill_pct: f, temperature_c: temperature + (k % 3) / 10, tilt: false },
        })),
      },
    ]);

  beforeAll(async () => {
    const { fleet } = await readFleetFile(projectPath(DEFAULT_FLEET_FILE));
    h = await startHarness(fleetDevices(fleet), START - 3 * HOUR);
    handler = buildApiHandler(apiDeps(h.service, fileDeadLetters(tmpdir())));
    // Silent for two hours: offline (10-minute interval, offline after 3 intervals).
    expect(await water('wq-dabudar-spring', START - 2 * HOUR, 1)).toEqual([]);
    // Bins: the bazaar bin past its market threshold (75 %), a school bin on fire, the others filling slowly.
    h.clock.t = START - 5 * MINUTE;
    expect(await bin('bin-bazaar-01', START - 2 * HOUR, [50, 56, 62, 68, 74, 80, 86, 88])).toEqual([]);
    expect(await bin('bin-school-01', START - 30 * MINUTE, [30, 31], 75)).toEqual([]);
    expect(await bin('bin-dabudar-01', START - 2 * HOUR, [20, 21, 22, 23, 24, 25, 26, 27])).toEqual([]);
    // Chlorine loss at the town plant's outlet: a critical alarm.
    for (const [i, chlorine] of [0.6, 0.1, 0.1, 0.08].entries()) {
      h.clock.t = START + i * MINUTE + 1000;
      await water('wq-town-outlet', START + i * MINUTE, 200 + i, {
        ...waterMetrics(i),
        free_chlorine_mg_l: chlorine,
      });
    }
    // Every other water device reports normally, except the Tiznap well, never heard from.
    h.clock.t = START + 4 * MINUTE;
    const reporting = fleet.devices.filter(
      (d) => d.kind === 'water' && !['wq-dabudar-spring', 'wq-tiznap-well', 'wq-town-outlet'].includes(d.id),
    );
    for (const [i, d] of reporting.entries())
      expect(await water(d.id, START + 3 * MINUTE + 30_000, 100 + i)).toEqual([]);
    // The Tiznap plant's outlet sonde is being serviced.
    await h.service.registry.setMaintenance('wq-tiznap-outlet', true, 'new membrane', {
      until: START + 2 * HOUR,
      by: 'li@county.example.cn',
    });

    h.doc.middlewareStack.add(
      (next, context) => async (args) => {
        overviewCalls.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countOverviewCalls' },
    );
    const res = await call('GET /overview', { caller: viewer });
    h.doc.middlewareStack.remove('countOverviewCalls');
    expect(res.status).toBe(200);
    overview = res.body as unknown as OverviewResponse;
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  const site = (id: string) => overview.sites.find((s) => s.siteId === id) as OverviewSite;

  it('GET /me says who the token is and what the console may offer them', async () => {
    const res = await call('GET /me', { caller: operator });
    expect(res.status).toBe(200);
    expect(res.body as unknown as WhoAmI).toEqual({
      name: 'ma@county.example.cn',
      role: 'operator',
      permissions: ['read', 'alarm:acknowledge', 'alarm:shelve'],
      ackAudiences: ['sanitation', 'operators'],
    });
    const me = await call('GET /me', { caller: viewer });
    expect(me.body).toMatchObject({ role: 'viewer', permissions: ['read'], ackAudiences: [] });
  });

  it('lists the example county by township, each supply in flow order, the rest beside it', () => {
    expect(overview.townships.map((t) => t.township)).toEqual(['Dabudar', 'Tashkurgan Town', 'Tiznap']);
    const town = overview.townships.find((t) => t.township === 'Tashkurgan Town');
    expect(town?.supplies).toEqual([
      {
        id: 'plant-town',
        name: expect.any(String),
        nameZh: '塔什库尔干镇水厂',
        siteIds: ['src-karasu', 'plant-town', 'net-town', 'tap-town-school'],
      },
    ]);
    expect(town?.otherSiteIds).toEqual(['market-town', 'school-town']);
    expect(overview.townships.find((t) => t.township === 'Tiznap')?.supplies[0]?.siteIds).toEqual([
      'src-tiznap',
      'plant-tiznap',
      'tap-tiznap',
    ]);
    expect(overview.sites).toHaveLength(14);
    expect(site('net-town').upstream).toEqual(['plant-town']);
  });

  it('gives every site its state: unsafe, warning, offline, maintenance, no data, safe', () => {
    expect(site('plant-town')).toMatchObject({ state: 'unsafe', openAlarms: { critical: 1 } });
    expect(site('market-town').state).toBe('warning');
    expect(site('school-town')).toMatchObject({ state: 'unsafe', openAlarms: { critical: 1 } });
    expect(site('src-dabudar').state).toBe('offline');
    expect(site('plant-tiznap').state).toBe('maintenance');
    expect(site('plant-tiznap').devices[0]?.maintenanceUntil).toBe(new Date(START + 2 * HOUR).toISOString());
    expect(site('src-tiznap')).toMatchObject({
      state: 'no_data',
      devices: [{ lastSampleAt: null, ageMs: null }],
    });
    expect(site('net-town')).toMatchObject({ state: 'safe', openAlarms: { critical: 0, warning: 0 } });
  });

  it('shows each device latest sample against the levels the series route charts', async () => {
    const outlet = site('plant-town').devices[0];
    expect(outlet).toMatchObject({
      deviceId: 'wq-town-outlet',
      lastSampleAt: new Date(START + 3 * MINUTE).toISOString(),
      ageMs: MINUTE,
      batteryPct: 87,
      intervalSec: 60,
    });
    const chlorine = outlet?.metrics.find((m) => m.metric === 'free_chlorine_mg_l');
    expect(chlorine).toMatchObject({ value: 0.08, status: 'breach' });
    const series = await call('GET /devices/{id}/series', {
      pathParameters: { id: 'wq-town-outlet' },
      query: { metric: 'free_chlorine_mg_l' },
    });
    const levels = (series.body as { levels: Record<string, number> }).levels;
    expect(levels.limitMin).toBeDefined();
    expect(chlorine).toMatchObject({
      limitMin: levels.limitMin,
      limitMax: levels.limitMax,
      warnMin: levels.warnMin,
      warnMax: levels.warnMax,
    });
    expect(outlet?.metrics.find((m) => m.metric === 'ph')?.status).toBe('ok');
    // Watched metrics it has not reported are listed as unknown, not left out.
    const well = site('src-tiznap').devices[0];
    expect(well?.metrics.length).toBeGreaterThan(0);
    expect(well?.metrics.every((m) => m.status === 'unknown' && m.value === null)).toBe(true);
  });

  it('summarises bins per township with GET /bins logic: needing collection, overflowing, on fire', () => {
    const bins = Object.fromEntries(overview.townships.map((t) => [t.township, t.bins]));
    expect(bins['Tashkurgan Town']).toEqual({ total: 5, needsCollection: 1, overflowing: 0, onFire: 1 });
    expect(bins.Dabudar).toEqual({ total: 2, needsCollection: 0, overflowing: 0, onFire: 0 });
    expect(bins.Tiznap).toEqual({ total: 1, needsCollection: 0, overflowing: 0, onFire: 0 });
  });

  it('costs one registry Scan, one open-alarm Query, a newest-reading Query per device and two per bin', () => {
    // 18 devices, 8 of them bins: 1 + 1 + 18 + 16 (docs/console-cloud.md).
    expect(overviewCalls.filter((c) => c === 'ScanCommand')).toHaveLength(1);
    expect(overviewCalls.filter((c) => c === 'QueryCommand')).toHaveLength(1 + 18 + 16);
    expect(overviewCalls).toHaveLength(36);
  });

  it('refuses unknown query parameters on both routes', async () => {
    for (const route of ['GET /overview', 'GET /me']) {
      const res = await call(route, { caller: viewer, query: { township: 'Tiznap' } });
      expect(res.status).toBe(400);
      expect(String(res.body?.message)).toContain('township');
    }
  });

  it('GET /alarms answers with a strong ETag, 304 without a body while it matches, 200 once alarms change', async () => {
    const first = await call('GET /alarms', { caller: viewer });
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await call('GET /alarms', { caller: viewer, headers: { 'if-none-match': etag } });
    expect(again).toMatchObject({ status: 304, raw: '' });
    expect(again.headers.etag).toBe(etag);
    const listed = await call('GET /alarms', {
      caller: viewer,
      headers: { 'if-none-match': `"other", W/${etag}` },
    });
    expect(listed.status).toBe(304);
    // Another tag, or another filter (another body), is answered in full.
    const other = await call('GET /alarms', { caller: viewer, headers: { 'if-none-match': '"stale"' } });
    expect(other.status).toBe(200);
    expect(other.raw).toBe(first.raw);
    const critical = await call('GET /alarms', {
      caller: viewer,
      query: { severity: 'warning' },
      headers: { 'if-none-match': etag },
    });
    expect(critical.status).toBe(200);
    expect(critical.headers.etag).not.toBe(etag);
    // An acknowledgement changes the list: the old tag no longer matches.
    const alarmId = (first.body?.items as { alarmId: string; deviceId: string }[] | undefined)?.find(
      (a) => a.deviceId === 'wq-town-outlet',
    )?.alarmId as string;
    const event = apiEvent('POST /alarms/{id}/ack', { caller: operator, pathParameters: { id: alarmId } });
    event.body = JSON.stringify({ by: 'ma@county.example.cn', comment: 'dosing pump restarted' });
    expect((await handler(event, lambdaContext('api'))).statusCode).toBe(200);
    const changed = await call('GET /alarms', { caller: viewer, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });
});
