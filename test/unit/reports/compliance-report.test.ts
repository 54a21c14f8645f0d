import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../../functions/core/alarm';
import { limitsApplied, monthRange } from '../../../functions/core/compliance';
import { toReadingItem } from '../../../functions/core/reading-item';
import type { Device } from '../../../functions/core/registry';
import { type ComplianceReportDeps, complianceReport } from '../../../functions/use-cases/compliance-report';
import { fixedClock, InMemoryDeviceRegistry, InMemoryReadingStore } from '../../helpers/fakes';
import {
  InMemoryAlarmHistory,
  InMemoryDeviceWindows,
  InMemoryRollupStore,
  limitAlarm,
  type RawSample,
  rollupsFromSamples,
} from '../../helpers/rollup-fake';
import { binDevice, waterDevice } from '../../helpers/telemetry';
import { InMemoryBinEventStore } from '../bins/fakes';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const NOV = monthRange('2026-11');
const NOW = NOV.to + 3 * D;

const outlet = waterDevice('wq-outlet', { siteId: 'plant-town', township: 'Town', intervalS: 600 });
const tap = waterDevice('wq-tap', {
  siteId: 'tap-town',
  siteName: 'Town tap',
  siteType: 'town',
  township: 'Town',
  measurementPoint: 'tap',
  intervalS: 600,
} as Partial<Device>);
const village = waterDevice('wq-village', {
  siteId: 'plant-village',
  siteName: 'Village plant',
  township: 'Village',
  supplyClass: 'small',
  intervalS: 600,
});
const bin = binDevice('bin-1', { township: 'Town', siteId: 'market-town', intervalS: 900 });
const devices = [outlet, tap, village, bin];

/** A deterministic series every `intervalS` over [from, to), skipping `gap`, with values cycling through `values`. */
function series(
  device: Device,
  from: number,
  to: number,
  values: (i: number) => Record<string, number>,
  gap?: { from: number; to: number },
): RawSample[] {
  const out: RawSample[] = [];
  let i = 0;
  for (let t = from; t < to; t += device.intervalS * 1000, i++)
    if (!gap || t < gap.from || t >= gap.to) out.push({ ts: t, seq: i, m: values(i) });
  return out;
}

// Three days either side of the month, so the month's edges have data outside them.
const SPAN = { from: NOV.from - 3 * D, to: NOV.to + 2 * D };
const MAINTENANCE = { from: NOV.from + 9 * D, to: NOV.from + 10 * D };
const raw = new Map<string, RawSample[]>([
  [
    outlet.id,
    series(outlet, SPAN.from, SPAN.to, (i) => ({
      free_chlorine_mg_l: [0.5, 0.3, 0.2, 0.8, -1][i % 5] as number,
      turbidity_ntu: (i % 13) / 10,
      temperature_c: 8,
    })),
  ],
  [
    tap.id,
    series(
      tap,
      SPAN.from,
      SPAN.to,
      (i) => ({ free_chlorine_mg_l: [0.04, 0.05, 0.1, 0.3][i % 4] as number, ph: 6 + (i % 30) / 10 }),
      MAINTENANCE,
    ),
  ],
  [
    village.id,
    series(village, SPAN.from, SPAN.to, (i) => ({
      free_chlorine_mg_l: 0.4,
      turbidity_ntu: [0.5, 2.5, 3, 3.1][i % 4] as number,
    })),
  ],
  [bin.id, series(bin, SPAN.from, SPAN.to, (i) => ({ fill_pct: (i * 7) % 100, temperature_c: 5 }))],
]);

/** Counted rates straight from the raw samples in [from, to) (values below 0 are outside the instrument range). */
function bruteForce(ds: readonly Device[], from: number, to: number) {
  let valid = 0;
  let within = 0;
  for (const d of ds.filter((x) => x.kind === 'water'))
    for (const s of raw.get(d.id) ?? []) {
      if (s.ts < from || s.ts >= to) continue;
      for (const l of limitsApplied(d)) {
        const v = s.m[l.metric];
        if (typeof v !== 'number' || v < 0) continue;
        valid++;
        if (!((l.limitMin !== undefined && v < l.limitMin) || (l.limitMax !== undefined && v > l.limitMax)))
          within++;
      }
    }
  return { valid, within };
}

const alarm = (over: Partial<Alarm>): Alarm =>
  limitAlarm(outlet, over.sampleTs ?? NOV.from, {
    limit: { value: 0.3, direction: 'min', citation: 'GB 5749-2022 Table 2' },
    ...over,
  });

const items = devices.flatMap((d) => rollupsFromSamples(d, raw.get(d.id) ?? []));

async function setup() {
  const rollups = new InMemoryRollupStore();
  await rollups.put(items);
  const readings = new InMemoryReadingStore();
  const episode = [0.2, 0.1, 0.15, 0.25];
  await readings.putItems(
    episode.map((v, i) =>
      toReadingItem(
        outlet.id,
        { ts: NOV.from - 2 * H + i * H, seq: 9000 + i, m: { free_chlorine_mg_l: v } },
        0,
        400,
      ),
    ),
  );
  const alarms = new InMemoryAlarmHistory([
    // Raised before the month, cleared inside it, acknowledged.
    alarm({
      alarmId: 'ABEFORE01',
      sampleTs: NOV.from - 2 * H,
      raisedAt: NOV.from - 2 * H + MIN,
      value: 0.2,
      clearedSampleTs: NOV.from + 2 * H,
      clearedAt: NOV.from + 2 * H + MIN,
      ackedAt: NOV.from - H,
      ackedBy: 'operator-ma',
    }),
    // Raised late in the month and still active.
    alarm({
      alarmId: 'AOPEN0001',
      status: 'open',
      state: 'active_unack',
      sampleTs: NOV.to - 3 * H,
      raisedAt: NOV.to - 3 * H,
      value: 0.2,
    }),
    // Over before the month began.
    alarm({
      alarmId: 'AOVER0001',
      sampleTs: NOV.from - 5 * H,
      raisedAt: NOV.from - 5 * H,
      clearedSampleTs: NOV.from - 4 * H,
    }),
    // A sensor fault and a warning (not an exceedance).
    alarm({
      alarmId: 'AFAULT001',
      condition: 'stuck:ph',
      metric: 'ph',
      severity: 'sensor_fault',
      deviceId: tap.id,
      siteId: tap.siteId,
      sampleTs: NOV.from + D,
    }),
    alarm({
      alarmId: 'AWARN0001',
      condition: 'warn:free_chlorine_mg_l:min',
      severity: 'warning',
      sampleTs: NOV.from + D,
    }),
    // Bin: overflow before its collection, and a fire.
    alarm({
      alarmId: 'AOFLOW001',
      deviceId: bin.id,
      siteId: bin.siteId,
      condition: 'fill:overflow',
      metric: 'fill_pct',
      sampleTs: NOV.from + 5 * D,
    }),
    alarm({
      alarmId: 'AFIRE0001',
      deviceId: bin.id,
      siteId: bin.siteId,
      condition: 'fire',
      metric: 'temperature_c',
      sampleTs: NOV.from + 7 * D,
    }),
  ]);
  const binEvents = new InMemoryBinEventStore();
  await binEvents.putCollections(
    [NOV.from + 6 * D, NOV.from + 20 * D, NOV.to + H].map((ts, i) => ({
      binId: bin.id,
      ts,
      seq: i,
      township: 'Town',
      siteId: bin.siteId,
      wasteStream: 'residual',
      fromPct: 90 - i * 10,
      toPct: 5,
      fromTs: ts - 900_000,
      receivedAt: ts,
    })),
  );
  const windows = new InMemoryDeviceWindows();
  await windows.record({
    deviceId: tap.id,
    kind: 'maintenance',
    ...MAINTENANCE,
    reason: 'new probe',
    by: 'eng-li',
    recordedAt: MAINTENANCE.from,
  });
  const deps: ComplianceReportDeps = {
    registry: new InMemoryDeviceRegistry(devices),
    rollups,
    alarmHistory: alarms,
    readings,
    binEvents,
    windows,
    clock: fixedClock(NOW),
    county: 'Test County',
  };
  return { deps, rollups, alarms, windows };
}

describe('the compliance report (use case, over in-memory ports)', () => {
  it('a month: rates equal a brute-force count from raw samples, per county, township, point and site', async () => {
    const { deps, rollups, windows } = await setup();
    const r = await complianceReport(deps, NOV);
    expect(r.period).toMatchObject({
      from: NOV.from,
      to: NOV.to,
      label: '2026-11',
      timeZone: 'Asia/Shanghai',
    });
    expect(r.scope).toEqual({ county: 'Test County' });

    const county = bruteForce(devices, NOV.from, NOV.to);
    expect(county.valid).toBeGreaterThan(county.within);
    expect(county.within).toBeGreaterThan(0);
    expect(r.county.overall).toMatchObject(county);
    expect(r.county.overall.rate).toBeCloseTo(county.within / county.valid, 12);
    expect(r.county).toMatchObject({ devices: 3, sites: 3 });
    expect(r.townships.map((t) => [t.township, t.overall.valid, t.overall.within])).toEqual([
      [
        'Town',
        bruteForce([outlet, tap], NOV.from, NOV.to).valid,
        bruteForce([outlet, tap], NOV.from, NOV.to).within,
      ],
      [
        'Village',
        bruteForce([village], NOV.from, NOV.to).valid,
        bruteForce([village], NOV.from, NOV.to).within,
      ],
    ]);
    expect(r.measurementPoints.map((p) => p.measurementPoint)).toEqual(['plant_outlet', 'tap']);
    const tapPoint = r.measurementPoints.find((p) => p.measurementPoint === 'tap');
    expect(tapPoint?.overall).toMatchObject(bruteForce([tap], NOV.from, NOV.to));

    const villageSite = r.sites.find((s) => s.siteId === 'plant-village');
    expect(villageSite?.limits.find((l) => l.metric === 'turbidity_ntu')).toMatchObject({ limitMax: 3 });
    // Small supply: 0.5, 2.5 and 3 comply (3 is exactly at the limit), 3.1 does not.
    expect(villageSite?.byMetric.turbidity_ntu?.rate).toBeCloseTo(3 / 4, 2);
    expect(villageSite?.daily).toHaveLength(30);
    expect(villageSite?.daily[0]?.day).toBe('2026-11-01');

    // Whole days only: one index Query per township and month, and one read of every device's windows.
    expect(rollups.calls.dailyForTownship).toBe(2);
    expect(rollups.calls.range).toBe(1);
    expect(windows.listCalls).toBe(1);
  });

  it('a range with partial days at both ends reads hours for those and still equals the brute force', async () => {
    const { deps, rollups } = await setup();
    const range = { from: NOV.from + 2 * D + 5 * H, to: NOV.from + 6 * D + 13 * H };
    const r = await complianceReport(deps, range);
    expect(r.county.overall).toMatchObject(bruteForce(devices, range.from, range.to));
    expect(r.period.label).toBe('2026-11-03 – 2026-11-07');
    expect(rollups.calls.range).toBe(devices.length * 2);
  });

  it('a range across a month boundary reads both months', async () => {
    const { deps, rollups } = await setup();
    const range = { from: NOV.to - 2 * D, to: NOV.to + D };
    const r = await complianceReport(deps, range);
    expect(r.county.overall).toMatchObject(bruteForce(devices, range.from, range.to));
    expect(rollups.calls.dailyForTownship).toBe(4);
  });

  it('exceedances: limit alarms overlapping the month, with duration inside it, peak and acknowledgement', async () => {
    const { deps } = await setup();
    const r = await complianceReport(deps, NOV);
    expect(r.exceedances.map((e) => e.alarmId)).toEqual(['ABEFORE01', 'AOPEN0001']);
    expect(r.exceedances[0]).toMatchObject({
      start: NOV.from - 2 * H,
      end: NOV.from + 2 * H,
      durationMs: 2 * H,
      // The lowest free chlorine during the episode (a minimum was breached).
      peak: 0.1,
      ackedBy: 'operator-ma',
      ackDelayMs: H - MIN,
      limit: { value: 0.3, direction: 'min' },
    });
    expect(r.exceedances[1]).toMatchObject({ durationMs: 3 * H, peak: 0.2 });
    expect(r.exceedances[1]?.end).toBeUndefined();
  });

  it('completeness leaves maintenance out and lists it; flagged samples count as sensor-fault time', async () => {
    const { deps } = await setup();
    const r = await complianceReport(deps, NOV);
    const tapRow = r.completeness.find((c) => c.deviceId === tap.id);
    expect(tapRow).toMatchObject({ expected: 29 * 144, received: 29 * 144, rate: 1 });
    expect(tapRow?.excluded).toEqual([
      { ...MAINTENANCE, reason: 'maintenance', note: 'new probe', by: 'eng-li' },
    ]);
    expect(r.completeness.find((c) => c.deviceId === bin.id)).toMatchObject({
      expected: 30 * 96,
      received: 30 * 96,
    });
    const outletFault = r.sensorFaults.find(
      (f) => f.deviceId === outlet.id && f.metric === 'free_chlorine_mg_l',
    );
    expect(outletFault?.flaggedSamples).toBe(
      (raw.get(outlet.id) ?? []).filter(
        (s) => s.ts >= NOV.from && s.ts < NOV.to && Number(s.m.free_chlorine_mg_l ?? 0) < 0,
      ).length,
    );
    expect(r.sensorFaults.find((f) => f.deviceId === tap.id)?.episodes.map((e) => e.alarmId)).toEqual([
      'AFAULT001',
    ]);
  });

  it('waste: the month’s collections (not the one after it), overflow and fire events', async () => {
    const { deps } = await setup();
    const r = await complianceReport(deps, NOV);
    expect(r.waste).toEqual({
      collections: 2,
      byWasteStream: { residual: 2 },
      townships: [
        {
          township: 'Town',
          collections: 2,
          byWasteStream: { residual: 2 },
          overflowEvents: 1,
          fireEvents: 1,
          meanFillAtCollectionPct: 85,
          binsOverflowedBeforeCollection: 1,
        },
      ],
    });
  });

  it('a township or a site narrows every part of the report', async () => {
    const { deps } = await setup();
    const r = await complianceReport(deps, { ...NOV, township: 'Village' });
    expect(r.scope).toEqual({ county: 'Test County', township: 'Village' });
    expect(r.county.overall).toMatchObject(bruteForce([village], NOV.from, NOV.to));
    expect(r.sites.map((s) => s.siteId)).toEqual(['plant-village']);
    expect(r.exceedances).toEqual([]);
    expect(r.waste.townships).toEqual([]);
    const site = await complianceReport(deps, { ...NOV, siteId: 'tap-town' });
    expect(site.completeness.map((c) => c.deviceId)).toEqual([tap.id]);
    expect(site.county.overall).toMatchObject(bruteForce([tap], NOV.from, NOV.to));
  });

  it('notes say how the figures were made, and what is partial', async () => {
    const { deps } = await setup();
    const r = await complianceReport(deps, { from: NOV.from + 30 * MIN, to: NOW + D });
    expect(r.notes.join('\n')).toMatch(/valid samples within the limits/);
    expect(r.notes.join('\n')).toMatch(/whole hours/);
    expect(r.notes.join('\n')).toMatch(/runs past the time of this report/);
  });
});
