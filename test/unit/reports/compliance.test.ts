import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../../functions/core/alarm';
import { chinaDate, chinaDayStart } from '../../../functions/core/china-calendar';
import {
  deviceCompleteness,
  exceedanceOf,
  foldRates,
  lastMonth,
  limitsApplied,
  monthRange,
  monthsOf,
  overlaps,
  periodLabel,
  samplesInside,
  sensorFaults,
  splitAtDays,
  unionOf,
  wasteSummary,
} from '../../../functions/core/compliance';
import type { Device } from '../../../functions/core/registry';
import { limitAlarm, type RawSample, rollupsFromSamples } from '../../helpers/rollup-fake';
import { waterDevice } from '../../helpers/telemetry';

const H = 3_600_000;
const D = 24 * H;
const MIN = 60_000;
/** 2026-11-01T00:00+08:00. */
const NOV = Date.UTC(2026, 9, 31, 16);
const DEC = Date.UTC(2026, 10, 30, 16);

describe('periods in China time (UTC+8)', () => {
  it('a month runs from its first midnight in Beijing to the next month’s', () => {
    expect(monthRange('2026-11')).toEqual({ from: NOV, to: DEC });
    expect(monthRange('2026-12')).toEqual({ from: DEC, to: Date.UTC(2026, 11, 31, 16) });
    expect(monthRange('2024-02').to - monthRange('2024-02').from).toBe(29 * D);
  });

  it('the default period is the last whole month, judged by the clock in Beijing', () => {
    // 2026-12-01 00:30 in Beijing is still 30 November in UTC: November is over.
    expect(lastMonth(DEC + 30 * MIN)).toEqual(monthRange('2026-11'));
    // One minute before midnight in Beijing on 30 November: November is still running.
    expect(lastMonth(DEC - MIN)).toEqual(monthRange('2026-10'));
    // New year in Beijing (31 December 16:00 UTC): the last month is December of the old year.
    expect(lastMonth(Date.UTC(2026, 11, 31, 16, 1))).toEqual(monthRange('2026-12'));
    expect(lastMonth(Date.UTC(2027, 0, 15))).toEqual(monthRange('2026-12'));
  });

  it('refuses a month that is not YYYY-MM, saying what to send', () => {
    for (const bad of ['2026-13', '2026-1', '26-11', '2026-11-01', 'November'])
      expect(() => monthRange(bad)).toThrow(/YYYY-MM, e\.g\. 2026-11/);
  });

  it('days and dates follow Beijing midnight, not UTC midnight', () => {
    expect(chinaDate(NOV)).toBe('2026-11-01');
    expect(chinaDate(NOV - 1)).toBe('2026-10-31');
    expect(chinaDayStart(NOV + 23 * H + 59 * MIN)).toBe(NOV);
    expect(chinaDayStart(NOV + D)).toBe(NOV + D);
  });

  it('splits a range into whole days and the partial days at either end', () => {
    expect(splitAtDays({ from: NOV, to: DEC })).toEqual({ days: { from: NOV, to: DEC }, partial: [] });
    expect(splitAtDays({ from: NOV + 5 * H, to: NOV + 3 * D + 2 * H })).toEqual({
      days: { from: NOV + D, to: NOV + 3 * D },
      partial: [
        { from: NOV + 5 * H, to: NOV + D },
        { from: NOV + 3 * D, to: NOV + 3 * D + 2 * H },
      ],
    });
    expect(splitAtDays({ from: NOV + H, to: NOV + 20 * H })).toEqual({
      partial: [{ from: NOV + H, to: NOV + 20 * H }],
    });
    expect(splitAtDays({ from: NOV + H, to: NOV + D + H })).toEqual({
      partial: [{ from: NOV + H, to: NOV + D + H }],
    });
  });

  it('labels a calendar month by its name and other ranges by their dates', () => {
    expect(periodLabel(monthRange('2026-11'))).toBe('2026-11');
    expect(periodLabel({ from: NOV + 2 * D, to: NOV + 9 * D })).toBe('2026-11-03 – 2026-11-09');
    expect(monthsOf({ from: NOV - D, to: DEC + 1 })).toEqual(['2026-10', '2026-11', '2026-12']);
    expect(monthsOf(monthRange('2026-11'))).toEqual(['2026-11']);
  });
});

describe('the limits that applied, per measurement point, supply class and disinfectant', () => {
  const limit = (d: Device, metric: string) => limitsApplied(d).find((l) => l.metric === metric);

  it('free chlorine: at least 0.3 at the plant outlet, 0.05 at the tap, at most 2 at both', () => {
    expect(
      limit(waterDevice('o', { measurementPoint: 'plant_outlet' } as Partial<Device>), 'free_chlorine_mg_l'),
    ).toMatchObject({ limitMin: 0.3, limitMax: 2 });
    expect(
      limit(waterDevice('t', { measurementPoint: 'tap' } as Partial<Device>), 'free_chlorine_mg_l'),
    ).toMatchObject({ limitMin: 0.05, limitMax: 2 });
  });

  it('turbidity: 1 NTU for a standard supply, 3 NTU for a small one', () => {
    expect(limit(waterDevice('s'), 'turbidity_ntu')).toMatchObject({ limitMax: 1 });
    expect(limit(waterDevice('v', { supplyClass: 'small' }), 'turbidity_ntu')).toMatchObject({ limitMax: 3 });
    expect(limit(waterDevice('v', { supplyClass: 'small' }), 'turbidity_ntu')?.citation).toMatch(/GB 5749/);
  });

  it('chlorine dioxide supplies are judged on chlorine dioxide, not free chlorine', () => {
    const station = waterDevice('c', { disinfectant: 'chlorine_dioxide' });
    expect(limit(station, 'chlorine_dioxide_mg_l')).toMatchObject({ limitMin: 0.1, limitMax: 0.8 });
    expect(limit(station, 'free_chlorine_mg_l')).toBeUndefined();
  });

  it('source water is judged against GB 3838 class III, without disinfectant residuals', () => {
    const source = waterDevice('s', { measurementPoint: 'source', disinfectant: 'none' } as Partial<Device>);
    expect(limit(source, 'ph')).toMatchObject({ limitMin: 6, limitMax: 9 });
    expect(limit(source, 'ph')?.citation).toMatch(/GB 3838/);
    expect(limit(source, 'free_chlorine_mg_l')).toBeUndefined();
    expect(limit(source, 'turbidity_ntu')).toBeUndefined();
  });

  it('a site override replaces the catalogue value, with its warning level', () => {
    const d = waterDevice('o', {
      alarmSettings: { limits: { free_chlorine_mg_l: { min: 0.5, warnMin: 0.6 } } },
    });
    expect(limit(d, 'free_chlorine_mg_l')).toMatchObject({ limitMin: 0.5, warnMin: 0.6 });
  });
});

/** A small deterministic generator: the same series on every run. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random minute series over `days` with gaps, duplicates, values exactly at limits, out-of-range and missing metrics. */
function randomSeries(seed: number, start: number, days: number): RawSample[] {
  const rnd = prng(seed);
  const out: RawSample[] = [];
  let seq = 0;
  for (let t = start; t < start + days * D; t += MIN) {
    if (rnd() < 0.1) continue; // a gap
    const chlorine = [0.3, 0.29, 0.05, 0.6, 2, 2.01, -1, 0.31][Math.floor(rnd() * 8)] as number;
    const m: Record<string, number> = { free_chlorine_mg_l: chlorine, temperature_c: 10 + rnd() };
    if (rnd() < 0.8) m.turbidity_ntu = [1, 1.2, 0.2, 0.85, 0.5][Math.floor(rnd() * 5)] as number;
    const sample = { ts: t + Math.floor(rnd() * 1000), seq: seq++, m };
    out.push(sample);
    if (rnd() < 0.05) out.push({ ...sample }); // a duplicate delivery
  }
  return out;
}

/** Counted rates straight from raw samples, independent of roll-ups. */
function bruteForce(device: Device, raw: readonly RawSample[], from: number, to: number) {
  const limits = limitsApplied(device);
  const distinct = [...new Map(raw.map((s) => [`${s.ts}#${s.seq}`, s])).values()].filter(
    (s) => s.ts >= from && s.ts < to,
  );
  let valid = 0;
  let within = 0;
  for (const s of distinct)
    for (const l of limits) {
      const v = s.m[l.metric];
      if (typeof v !== 'number') continue;
      // free chlorine below 0 is outside the instrument range: flagged, not valid.
      if (v < 0) continue;
      valid++;
      if (!((l.limitMin !== undefined && v < l.limitMin) || (l.limitMax !== undefined && v > l.limitMax)))
        within++;
    }
  return { valid, within };
}

describe('rates from roll-ups', () => {
  const outlet = waterDevice('wq-o');
  const raw = randomSeries(7, NOV, 3);
  const items = rollupsFromSamples(outlet, raw);

  it('counted rates from daily items equal a brute-force count over the raw samples', () => {
    const days = items.filter((i) => i.period === 'day');
    const rates = foldRates(days);
    const expected = bruteForce(outlet, raw, NOV, NOV + 3 * D);
    expect(rates.overall.valid).toBe(expected.valid);
    expect(rates.overall.within).toBe(expected.within);
    expect(rates.overall.rate).toBeCloseTo(expected.within / expected.valid, 12);
    expect(Object.keys(rates.byMetric)).toEqual(['free_chlorine_mg_l', 'turbidity_ntu']);
  });

  it('hourly items over the same days give the same counts', () => {
    const byHour = foldRates(items.filter((i) => i.period === 'hour'));
    const byDay = foldRates(items.filter((i) => i.period === 'day'));
    expect(byHour.overall.valid).toBe(byDay.overall.valid);
    expect(byHour.overall.within).toBe(byDay.overall.within);
    const counts = (r: typeof byHour) =>
      Object.fromEntries(Object.entries(r.byMetric).map(([m, x]) => [m, [x.valid, x.within, x.overWarning]]));
    expect(counts(byHour)).toEqual(counts(byDay));
  });

  it('a value exactly at a limit complies; flagged samples are neither valid nor within', () => {
    const exact: RawSample[] = [
      { ts: NOV, seq: 1, m: { free_chlorine_mg_l: 0.3 } },
      { ts: NOV + MIN, seq: 2, m: { free_chlorine_mg_l: 2 } },
      { ts: NOV + 2 * MIN, seq: 3, m: { free_chlorine_mg_l: 0.29 } },
      { ts: NOV + 3 * MIN, seq: 4, m: { free_chlorine_mg_l: -5 } },
    ];
    const r = foldRates(rollupsFromSamples(outlet, exact).filter((i) => i.period === 'day')).overall;
    expect(r).toMatchObject({ valid: 3, within: 2 });
    expect(r.rate).toBeCloseTo(2 / 3, 12);
  });

  it('time weighting: each sample stands for the time to the next one, at most the interval', () => {
    // 0.5 at 00:00, 0.1 (below 0.3) at 00:01, then silence for an hour, 0.5 at 01:01 standing to the end of the day.
    const series: RawSample[] = [
      { ts: NOV, seq: 1, m: { free_chlorine_mg_l: 0.5 } },
      { ts: NOV + MIN, seq: 2, m: { free_chlorine_mg_l: 0.1 } },
      { ts: NOV + H + MIN, seq: 3, m: { free_chlorine_mg_l: 0.5 } },
    ];
    const r = foldRates(rollupsFromSamples(outlet, series).filter((i) => i.period === 'day')).overall;
    // Each sample stands for one minute (the interval caps the hour of silence and the rest of the day).
    expect(r.validMs).toBe(3 * MIN);
    expect(r.withinMs).toBe(2 * MIN);
    expect(r.timeRate).toBeCloseTo(2 / 3, 12);
    const slow = waterDevice('slow', { intervalS: 7200 });
    const weighted = foldRates(rollupsFromSamples(slow, series).filter((i) => i.period === 'day')).overall;
    // With a 2 h interval the low sample stands for the hour until the next one.
    expect(weighted.withinMs).toBe(MIN + 2 * H);
    expect(weighted.validMs).toBe(MIN + H + 2 * H);
  });

  it('metrics without a limit do not count, and nothing valid gives null rates', () => {
    const r = foldRates(
      rollupsFromSamples(outlet, [{ ts: NOV, seq: 1, m: { temperature_c: 12 } }]).filter(
        (i) => i.period === 'day',
      ),
    );
    expect(r.overall).toMatchObject({ valid: 0, rate: null, timeRate: null });
    expect(r.byMetric).toEqual({});
  });
});

describe('completeness', () => {
  it('expected leaves out the union of the windows; received leaves out hours wholly inside them', () => {
    const d = waterDevice('wq-c', { intervalS: 600 });
    const raw: RawSample[] = [];
    for (let t = NOV; t < NOV + D; t += 10 * MIN) raw.push({ ts: t, seq: t / MIN, m: { ph: 7.2 } });
    const items = rollupsFromSamples(d, raw);
    const excluded = [
      { from: NOV + 2 * H, to: NOV + 5 * H, reason: 'maintenance' as const },
      { from: NOV + 4 * H, to: NOV + 6 * H + 30 * MIN, reason: 'outage' as const },
    ];
    const range = { from: NOV, to: NOV + D };
    const union = unionOf(excluded, range);
    expect(union).toEqual([{ from: NOV + 2 * H, to: NOV + 6 * H + 30 * MIN }]);
    const inside = samplesInside(
      items.filter((i) => i.period === 'hour'),
      union,
    );
    expect(inside).toBe(4 * 6); // hours 2, 3, 4, 5; hour 6 is only half inside
    const c = deviceCompleteness({
      device: d,
      range,
      items: items.filter((i) => i.period === 'day'),
      excluded,
      samplesExcluded: inside,
    });
    expect(c.expected).toBe(Math.floor((D - 4.5 * H) / (10 * MIN)));
    expect(c.received).toBe(144 - 24);
    expect(c.rate).toBeCloseTo(120 / 117, 12);
    expect(c.excluded.map((w) => w.reason)).toEqual(['maintenance', 'outage']);
  });
});

const alarm = (over: Partial<Alarm>): Alarm =>
  limitAlarm(waterDevice('wq-o'), over.sampleTs ?? NOV, { alarmId: 'A2345678X', ...over });

describe('exceedances, sensor faults and waste', () => {
  it('an episode begun before the period counts from its start; one still active runs to its end', () => {
    const range = { from: NOV, to: DEC };
    const before = alarm({
      sampleTs: NOV - 2 * H,
      raisedAt: NOV - 2 * H,
      clearedSampleTs: NOV + H,
      ackedAt: NOV - H,
      ackedBy: 'ma',
    });
    expect(overlaps(before, range)).toBe(true);
    expect(exceedanceOf(before, range, 0.05)).toMatchObject({
      start: NOV - 2 * H,
      end: NOV + H,
      durationMs: H,
      peak: 0.05,
      ackedBy: 'ma',
      ackDelayMs: H,
    });
    const active = alarm({
      status: 'open',
      state: 'active_unack',
      sampleTs: DEC - 3 * H,
      raisedAt: DEC - 3 * H,
    });
    const e = exceedanceOf(active, range, undefined);
    expect(e.durationMs).toBe(3 * H);
    expect(e.end).toBeUndefined();
    expect(overlaps(alarm({ sampleTs: NOV - 5 * H, clearedSampleTs: NOV }), range)).toBe(false);
    expect(overlaps(alarm({ sampleTs: DEC }), range)).toBe(false);
  });

  it('sensor-fault time pools flagged samples from roll-ups with fault episodes', () => {
    const d = waterDevice('wq-o');
    const items = rollupsFromSamples(d, [
      { ts: NOV, seq: 1, m: { free_chlorine_mg_l: -1, ph: 7 } },
      { ts: NOV + MIN, seq: 2, m: { free_chlorine_mg_l: 0.5, ph: 7 } },
    ]).filter((i) => i.period === 'day');
    const rows = sensorFaults(items, [
      alarm({
        alarmId: 'AFAULT001',
        condition: 'stuck:ph',
        metric: 'ph',
        severity: 'sensor_fault',
        sampleTs: NOV + MIN,
      }),
    ]);
    expect(rows).toEqual([
      {
        deviceId: 'wq-o',
        siteId: 'plant-test',
        metric: 'free_chlorine_mg_l',
        flaggedMs: MIN,
        flaggedSamples: 1,
        episodes: [],
      },
      {
        deviceId: 'wq-o',
        siteId: 'plant-test',
        metric: 'ph',
        flaggedMs: 0,
        flaggedSamples: 0,
        episodes: [{ alarmId: 'AFAULT001', condition: 'stuck:ph', start: NOV + MIN }],
      },
    ]);
  });

  it('waste: collections by stream, mean fill before collection, bins that overflowed before the collection', () => {
    const c = (binId: string, ts: number, fromPct: number, wasteStream = 'residual') => ({
      binId,
      ts,
      township: 'Test Town',
      wasteStream,
      fromPct,
    });
    const overflow = (deviceId: string, sampleTs: number) =>
      alarm({ deviceId, sampleTs, condition: 'fill:overflow', severity: 'critical', metric: 'fill_pct' });
    const w = wasteSummary(
      ['Test Town', 'Hill Town'],
      [c('b1', NOV + 10 * H, 90), c('b1', NOV + 40 * H, 70), c('b2', NOV + 12 * H, 80, 'kitchen')],
      [
        overflow('b1', NOV + 20 * H), // before b1's second collection, after its first
        overflow('b2', NOV + 13 * H), // after b2's only collection: not emptied by it
        alarm({ deviceId: 'b3', condition: 'fire', severity: 'critical', metric: 'temperature_c' }),
      ],
    );
    expect(w.collections).toBe(3);
    expect(w.byWasteStream).toEqual({ kitchen: 1, residual: 2 });
    expect(w.townships[0]).toMatchObject({
      township: 'Test Town',
      collections: 3,
      overflowEvents: 2,
      fireEvents: 1,
      meanFillAtCollectionPct: 80,
      binsOverflowedBeforeCollection: 1,
    });
    expect(w.townships[1]).toMatchObject({
      township: 'Hill Town',
      collections: 0,
      meanFillAtCollectionPct: null,
    });
  });
});
