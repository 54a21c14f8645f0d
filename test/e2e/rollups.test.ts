import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesResponse } from '../../functions/api/types';
import { chinaDayStart } from '../../functions/core/china-calendar';
import type { ComplianceReport } from '../../functions/core/compliance-types';
import type { Device } from '../../functions/core/registry';
import { hourStart, levelsFor, lookbackFor } from '../../functions/core/rollup';
import type { RollupItem } from '../../functions/core/rollup-types';
import type { Sample } from '../../functions/core/telemetry';
import type { RollupJobResult } from '../../functions/use-cases/rollup-job';
import { DEFAULT_FLEET_FILE } from '../../infra/fleet/read-fleet';
import type { LocalRuntime } from '../../infra/local/runtime';
import { runReport } from '../../infra/report/report-command';
import { pdfPages } from '../helpers/pdf-text';
import { aggregateMismatches, bruteForceRollups } from '../helpers/rollup-brute-force';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { simAgainst } from '../helpers/sim';
import { DAY, HOUR } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const DEVICES = ['wq-town-outlet', 'wq-town-hospital'];
const CL = 'free_chlorine_mg_l';
/** 30 days ending two whole hours ago: every hour has ended, so the job rolls all of them up. */
const END = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const FROM = END - 30 * DAY;
/** The devices are offline for day 21 (no sample from FROM + 20 d to FROM + 21 d). */
const GAP = [FROM + 20 * DAY, FROM + 21 * DAY] as const;

let dir: string;
let runtime: LocalRuntime;
const iso = (t: number) => new Date(t).toISOString();

/** The simulator's backfill of the 30 days, in two windows around the offline day; a chlorine loss on day 5. */
async function backfill() {
  for (const [from, to, scenario] of [
    [FROM, GAP[0], `chlorine-loss@wq-town-outlet+${4 * 24}h~3h`],
    [GAP[1], END, 'normal'],
  ] as const) {
    const { code, stderr } = await simAgainst(runtime, dir, [
      '--fleet',
      join(dir, 'fleet.json'),
      '--devices',
      DEVICES.join(','),
      '--from',
      iso(from),
      '--to',
      iso(to),
      '--scenario',
      scenario,
      '--seed',
      '12',
    ]);
    expect(stderr).not.toMatch(/error/i);
    expect(code).toBe(0);
  }
  await runtime.router.idle();
}

/** Every reading of a device over the window, through the API (all metrics). */
async function readingsOf(deviceId: string): Promise<Sample[]> {
  const api = apiClient(runtime);
  const out: Sample[] = [];
  let cursor: string | undefined;
  do {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await api.get<{ items: Sample[]; nextCursor?: string }>(
      `/devices/${deviceId}/readings?from=${FROM}&to=${END - 1}&limit=1000${after}`,
    );
    expect(res.status).toBe(200);
    out.push(...res.body.items.map(({ ts, seq, m }) => ({ ts, seq, m })));
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

async function allRollups(): Promise<RollupItem[]> {
  const items: RollupItem[] = [];
  for (const id of DEVICES)
    for (const period of ['hour', 'day'] as const)
      items.push(...(await runtime.service.rollups.range(id, period, FROM - DAY, END + DAY)));
  return items;
}

beforeAll(async () => {
  dir = await makeTempDir('pamir-rollups-');
  // The example county's town devices at one sample every 10 min: 30 days are 4,320 samples a device.
  const fleet = JSON.parse(await readFile(DEFAULT_FLEET_FILE, 'utf8')) as { devices: Device[] };
  fleet.devices = fleet.devices.filter((d) => DEVICES.includes(d.id)).map((d) => ({ ...d, intervalS: 600 }));
  await writeFile(join(dir, 'fleet.json'), JSON.stringify(fleet));
  runtime = await startTestRuntime(dir, { fleetFile: join(dir, 'fleet.json') });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await removeTempDir(dir);
});

describe('roll-ups of a 30-day simulator backfill (local runtime)', () => {
  let first: RollupJobResult;
  const stored = new Map<string, Sample[]>();

  it('the job rolls up every hour and day, equal to a brute force over the readings read through the API', async () => {
    await backfill();
    first = (await runtime.runSchedule('rollups')) as RollupJobResult;
    expect(first).toMatchObject({ complete: true, owed: 0, failed: 0 });
    const items = await allRollups();
    for (const id of DEVICES) {
      const device = runtime.devices.find((d) => d.id === id) as Device;
      const samples = await readingsOf(id);
      stored.set(id, samples);
      expect(samples.length).toBeGreaterThan(29 * 144 - 10);
      const bruteForce = bruteForceRollups(device, samples, {
        window: lookbackFor(device) + 1,
        levels: levelsFor(device),
      });
      const hours = [...new Set(samples.map((s) => hourStart(s.ts)))];
      const days = [...new Set(hours.map(chinaDayStart))];
      const mine = items.filter((i) => i.deviceId === id);
      expect(mine.filter((i) => i.period === 'hour').map((i) => i.start)).toEqual(hours);
      expect(mine.filter((i) => i.period === 'day').map((i) => i.start)).toEqual(days);
      for (const item of mine) {
        const expected = bruteForce(item.period, item.start);
        expect(item.samples, `${id} ${item.sk}`).toBe(expected.samples);
        expect(aggregateMismatches(item.metrics, expected.metrics), `${id} ${item.sk}`).toEqual([]);
      }
      // The offline day has no hour.
      expect(mine.filter((i) => i.period === 'hour' && i.start >= GAP[0] && i.start < GAP[1])).toEqual([]);
    }
    // The chlorine loss shows: samples below the limit at the outlet.
    const overLimit = (id: string) =>
      items
        .filter((i) => i.deviceId === id && i.period === 'day')
        .reduce((n, i) => n + (i.metrics[CL]?.overLimit ?? 0), 0);
    expect(overLimit('wq-town-outlet')).toBeGreaterThan(0);
    expect(first.hoursWritten).toBe(items.filter((i) => i.period === 'hour').length);
  }, 120_000);

  it('GET /devices/{id}/series: 30 days in at most 1,000 points, equal to a brute force over the raw readings', async () => {
    const id = 'wq-town-outlet';
    const res = await apiClient(runtime).get<SeriesResponse>(
      `/devices/${id}/series?metric=${CL}&from=${FROM}&to=${END}&points=1000`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resolution: 'bucket', bucketMs: HOUR, source: ['hour'] });
    expect(res.body.points.length).toBeLessThanOrEqual(1000);
    const byHour = new Map<number, number[]>();
    for (const s of stored.get(id) ?? []) {
      const v = s.m[CL];
      if (typeof v === 'number' && v >= 0 && v <= 20)
        byHour.set(hourStart(s.ts), [...(byHour.get(hourStart(s.ts)) ?? []), v]);
    }
    expect(res.body.points.map((p) => [p.t, p.min, p.max, p.n])).toEqual(
      [...byHour].map(([t, vs]) => [t, Math.min(...vs), Math.max(...vs), vs.length]),
    );
    const bad = await apiClient(runtime).get<{ error: string; message: string }>(
      `/devices/${id}/series?metric=${CL}&points=6000`,
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/points.*at most 5000/);
  });

  it('GET /reports/compliance over the 30 days: rates, completeness and the chlorine loss equal a brute force over the raw readings', async () => {
    const res = await apiClient(runtime).get<ComplianceReport>(`/reports/compliance?from=${FROM}&to=${END}`);
    expect(res.status).toBe(200);
    const report = res.body;
    // Brute force: every raw reading judged on its own (range, stuck, strictly beyond the limit), summed per metric.
    const expected = { valid: 0, within: 0, validMs: 0, withinMs: 0 };
    const chlorine = { valid: 0, within: 0 };
    for (const id of DEVICES) {
      const device = runtime.devices.find((d) => d.id === id) as Device;
      const samples = stored.get(id) ?? [];
      const levels = levelsFor(device);
      const bruteForce = bruteForceRollups(device, samples, { window: lookbackFor(device) + 1, levels });
      for (const hour of new Set(samples.map((s) => hourStart(s.ts))))
        for (const [metric, a] of Object.entries(bruteForce('hour', hour).metrics)) {
          const l = levels[metric];
          if (l?.limitMin === undefined && l?.limitMax === undefined) continue;
          const valid = a.count - a.flagged;
          expected.valid += valid;
          expected.within += valid - a.overLimit;
          expected.validMs += a.validMs;
          expected.withinMs += a.validMs - a.overLimitMs;
          if (metric === CL) {
            chlorine.valid += valid;
            chlorine.within += valid - a.overLimit;
          }
        }
      // Completeness: every stored sample of the period received; expected from the interval (no window declared).
      const row = report.completeness.find((c) => c.deviceId === id);
      expect(row).toMatchObject({
        received: samples.length,
        expected: Math.floor((END - FROM) / (device.intervalS * 1000)),
        excluded: [],
      });
    }
    expect(report.county.overall).toMatchObject(expected);
    expect(report.county.byMetric[CL]).toMatchObject(chlorine);
    expect(chlorine.within).toBeLessThan(chlorine.valid);
    // The chlorine loss is an exceedance at the outlet; its peak is the lowest chlorine reading of the episode.
    const loss = report.exceedances.filter((e) => e.deviceId === 'wq-town-outlet' && e.metric === CL);
    expect(loss.length).toBeGreaterThan(0);
    for (const e of loss) {
      const during = (stored.get('wq-town-outlet') ?? [])
        .filter((s) => s.ts >= e.start && (e.end === undefined || s.ts <= e.end))
        .map((s) => s.m[CL])
        .filter((v): v is number => typeof v === 'number');
      expect(e.peak).toBe(Math.min(...during));
      expect(e.durationMs).toBe((e.end ?? END) - e.start);
    }
  });

  it('npm run report prints the same report from the running service as a PDF', async () => {
    const report = (
      await apiClient(runtime).get<ComplianceReport>(`/reports/compliance?from=${FROM}&to=${END}`)
    ).body;
    const out = join(dir, 'report.pdf');
    const progress: string[] = [];
    // No --api and no token: the running service of DATA_DIR and its token, as on an operator's machine.
    const code = await runReport(['--from', iso(FROM), '--to', iso(END), '--out', out], {
      env: { DATA_DIR: runtime.dataDir },
      progress: (line) => progress.push(line),
    });
    expect(code, progress.join('\n')).toBe(0);
    const text = (await pdfPages(await readFile(out))).join('\n');
    expect(text).toContain('Exceedance');
    for (const e of report.exceedances) expect(text).toContain(e.alarmId);
    expect(text).toContain(report.county.overall.valid.toLocaleString('en-US'));
  }, 120_000);

  it('replaying the same backfill changes nothing: no item rewritten, the same numbers', async () => {
    const before = await allRollups();
    const reportBefore = (
      await apiClient(runtime).get<ComplianceReport>(`/reports/compliance?from=${FROM}&to=${END}`)
    ).body;
    await backfill();
    const replay = (await runtime.runSchedule('rollups')) as RollupJobResult;
    expect(replay).toMatchObject({ hoursWritten: 0, daysWritten: 0, complete: true, owed: 0 });
    expect(replay.hoursComputed).toBe(first.hoursComputed);
    // computedAt included: not one item was written again.
    expect(await allRollups()).toEqual(before);
    for (const id of DEVICES) expect(await readingsOf(id)).toHaveLength(stored.get(id)?.length ?? -1);
    const reportAfter = (
      await apiClient(runtime).get<ComplianceReport>(`/reports/compliance?from=${FROM}&to=${END}`)
    ).body;
    expect({ ...reportAfter, generatedAt: 0 }).toEqual({ ...reportBefore, generatedAt: 0 });
  }, 120_000);
});
