import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chinaDate, chinaDayStart, chinaMonth } from '../../../functions/core/china-calendar';
import type { Device } from '../../../functions/core/registry';
import {
  hourStart,
  levelsFor,
  lookbackFor,
  rollupDay,
  rollupHour,
  rollupSortKey,
  sameContent,
} from '../../../functions/core/rollup';
import type { MetricAggregate, RollupItem } from '../../../functions/core/rollup-types';
import type { Sample } from '../../../functions/core/telemetry';
import { bruteForceRollup } from '../../helpers/rollup-brute-force';
import { waterDevice } from '../../helpers/telemetry';

const HOUR = 3_600_000;
/** 2026-11-03 15:00 UTC = 23:00 China time: the series crosses a China-time midnight. */
const BASE = Date.UTC(2026, 10, 3, 15, 0, 0);
const STUCK = 4;
const device = waterDevice('wq-p1', {
  intervalS: 60,
  alarmSettings: { stuckSamples: STUCK },
} as Partial<Device>);
const CHLORINE = 'free_chlorine_mg_l';
const [CL_MIN, CL_MAX] = [0.3, 2];
const [CL_WARN_MIN, CL_WARN_MAX] = [0.375, 1.6];

/** The brute force (test/helpers) with the levels written out by hand: chlorine and pH at a plant outlet. */
function bruteForce(stored: Sample[], period: 'hour' | 'day', start: number) {
  return bruteForceRollup(device, stored, period, start, {
    window: lookbackFor(device) + 1,
    levels: {
      [CHLORINE]: { limitMin: CL_MIN, limitMax: CL_MAX, warnMin: CL_WARN_MIN, warnMax: CL_WARN_MAX },
      ph: { limitMin: 6.5, limitMax: 8.5, warnMin: 6.8, warnMax: 8.2 },
    },
  });
}

/** Rolls up the way the job does: per hour from the stored series and the lookback, then days from the hours. */
function rollUp(stored: Sample[]) {
  const hours = new Map<number, RollupItem>();
  for (const h of new Set(stored.map((s) => hourStart(s.ts)))) {
    const inHour = stored.filter((s) => hourStart(s.ts) === h);
    const before = stored.filter((s) => s.ts < h).slice(-lookbackFor(device));
    const item = rollupHour(device, h, inHour, before, 1);
    if (item) hours.set(h, item);
  }
  const days = new Map<number, RollupItem>();
  for (const d of new Set([...hours.keys()].map(chinaDayStart))) {
    const item = rollupDay(device, d, [...hours.values()], 2);
    if (item) days.set(d, item);
  }
  return { hours, days };
}

/** Exact fields equal; the float sum within rounding. */
function expectAggregates(
  actual: Record<string, MetricAggregate>,
  expected: Record<string, MetricAggregate>,
) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [metric, e] of Object.entries(expected)) {
    const { sum, levels, ...exact } = actual[metric] as MetricAggregate;
    const { sum: eSum, ...eExact } = e;
    expect(exact, metric).toEqual(eExact);
    if (eSum === undefined) expect(sum).toBeUndefined();
    // Sums are kept to 12 significant digits.
    else expect(Math.abs((sum as number) - eSum)).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(eSum)));
    if (metric === CHLORINE) expect(levels).toMatchObject({ limitMin: CL_MIN, limitMax: CL_MAX });
  }
}

/** Values that matter: exactly at the limits and warning levels, just beyond, out of range, ordinary. */
const chlorine = fc.oneof(
  fc.constantFrom(CL_MIN, CL_MAX, CL_WARN_MIN, CL_WARN_MAX, 0.29, 2.01, -1, 25, 0.6),
  fc.double({ min: 0, max: 2.5, noNaN: true }),
);
const ph = fc.oneof(
  fc.constantFrom(6.5, 8.5, 6.8, 8.2, 6.4, 8.6, 15, 7.2),
  fc.double({ min: 6, max: 9, noNaN: true }),
);

/**
 * A stored series: samples about a minute apart over ~3 hours with gaps, some runs of identical chlorine (stuck while
 * pH moves, or steady together with pH), duplicates at the same ts with another seq, redeliveries (same ts+seq).
 */
const series = fc
  .array(
    fc.record({
      gapMs: fc.oneof(fc.constantFrom(60_000, 0, 30_000), fc.integer({ min: 1, max: 40 * 60_000 })),
      cl: chlorine,
      ph,
      hasPh: fc.boolean(),
      repeat: fc.integer({ min: 0, max: 6 }),
      redeliver: fc.boolean(),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((steps) => {
    const arrivals: Sample[] = [];
    let ts = BASE - 2 * HOUR + 17_000;
    let seq = 0;
    for (const step of steps) {
      ts += step.gapMs;
      for (let r = 0; r <= step.repeat; r++) {
        const m: Record<string, number> = { [CHLORINE]: step.cl, temperature_c: 7 + r / 10 };
        if (step.hasPh) m.ph = step.ph;
        const s: Sample = { ts: ts + r * 60_000, seq: seq++, m };
        arrivals.push(s);
        if (step.redeliver) arrivals.push({ ...s, m: { ...m } });
      }
      ts += step.repeat * 60_000;
    }
    return arrivals;
  });

/** What the readings table holds after `arrivals` in any order: one item per (ts, seq), in key order. */
function store(arrivals: Sample[]): Sample[] {
  const byKey = new Map(arrivals.map((s) => [`${s.ts}#${s.seq}`, s]));
  return [...byKey.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

describe('roll-ups against a brute force over the stored samples', () => {
  it('hourly and daily items equal the brute force (gaps, duplicates, limits, out-of-range, stuck runs)', () => {
    fc.assert(
      fc.property(series, (arrivals) => {
        const stored = store(arrivals);
        const { hours, days } = rollUp(stored);
        for (const [h, item] of hours) {
          const expected = bruteForce(stored, 'hour', h);
          expect(item.samples).toBe(expected.samples);
          expectAggregates(item.metrics, expected.metrics);
        }
        for (const [d, item] of days) {
          const expected = bruteForce(stored, 'day', d);
          expect(item.samples).toBe(expected.samples);
          expectAggregates(item.metrics, expected.metrics);
          expect(item.sdd).toBe(`${device.siteId}#${device.id}#${chinaDate(d)}`);
        }
        expect([...hours.values()].reduce((n, h) => n + h.samples, 0)).toBe(stored.length);
      }),
      { numRuns: 150 },
    );
  });

  it('late data and replays: recomputing from what is stored afterwards equals a computation from scratch', () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 0, max: 1000 }), (arrivals, cut) => {
        const split = cut % (arrivals.length + 1);
        const early = rollUp(store(arrivals.slice(0, split)));
        const all = store([...arrivals, ...arrivals.slice(0, split)]);
        const late = rollUp(all);
        const fresh = rollUp(store(arrivals));
        for (const [h, item] of fresh.hours)
          expect(sameContent(late.hours.get(h) as RollupItem, item)).toBe(true);
        for (const [d, item] of fresh.days)
          expect(sameContent(late.days.get(d) as RollupItem, item)).toBe(true);
        // An hour the late samples changed differs from its earlier item; the others are the same and not rewritten.
        for (const [h, item] of early.hours) {
          const changed = all.filter((s) => hourStart(s.ts) === h).length !== item.samples;
          if (changed) expect(sameContent(item, late.hours.get(h) as RollupItem)).toBe(false);
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('roll-up keys and levels', () => {
  it('hours are UTC hours, days and months China-time (UTC+8)', () => {
    const t = Date.UTC(2026, 10, 30, 16, 30); // 2026-12-01 00:30 in China
    expect(hourStart(t)).toBe(Date.UTC(2026, 10, 30, 16));
    expect(chinaDayStart(t)).toBe(Date.UTC(2026, 10, 30, 16));
    expect(chinaDayStart(t - HOUR)).toBe(Date.UTC(2026, 10, 29, 16));
    expect(chinaDate(t)).toBe('2026-12-01');
    expect(chinaMonth(t - HOUR)).toBe('2026-11');
    expect(rollupSortKey('hour', 5)).toBe('h#0000000000005');
    expect(rollupSortKey('day', chinaDayStart(t))).toBe(`d#${chinaDayStart(t)}`);
  });

  it("levels are the alarm conditions' own, site overrides included", () => {
    expect(levelsFor(device)[CHLORINE]).toMatchObject({
      limitMin: CL_MIN,
      limitMax: CL_MAX,
      warnMin: CL_WARN_MIN,
      warnMax: CL_WARN_MAX,
      citation: 'GB 5749-2022 Table 2',
    });
    const site = waterDevice('wq-p2', {
      alarmSettings: { limits: { [CHLORINE]: { min: 0.5 } } },
    } as Partial<Device>);
    expect(levelsFor(site)[CHLORINE]).toMatchObject({ limitMin: 0.5 });
    expect(levelsFor(device).temperature_c).toBeUndefined();
  });

  it('a value exactly at the limit complies; just beyond it breaches', () => {
    const at = rollupHour(device, BASE, [{ ts: BASE, seq: 1, m: { [CHLORINE]: CL_MIN } }], [], 0);
    const below = rollupHour(device, BASE, [{ ts: BASE, seq: 1, m: { [CHLORINE]: 0.299 } }], [], 0);
    expect(at?.metrics[CHLORINE]).toMatchObject({ overLimit: 0, overWarning: 1, validMs: 60_000 });
    expect(below?.metrics[CHLORINE]).toMatchObject({ overLimit: 1, overWarning: 1, overLimitMs: 60_000 });
  });

  it('sameContent ignores computedAt only', () => {
    const a = rollupHour(device, BASE, [{ ts: BASE, seq: 1, m: { [CHLORINE]: 0.5 } }], [], 1) as RollupItem;
    const b = { ...a, computedAt: 2 };
    expect(sameContent(a, b)).toBe(true);
    expect(sameContent(a, { ...b, samples: 2 })).toBe(false);
    expect(rollupHour(device, BASE, [], [], 0)).toBeUndefined();
  });
});
