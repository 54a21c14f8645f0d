import { describe, expect, it } from 'vitest';
import {
  BIN_DEFAULTS,
  detectCollections,
  type FillReading,
  fillFromDistance,
  fillSeries,
  readFill,
  summarizeFill,
} from '../../../functions/core/bins';

const DEPTH = 1100;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const Q = 15 * 60_000;
const at = (i: number, m: Record<string, number | boolean>) => ({ ts: T0 + i * Q, seq: i, m });
const fills = (values: number[]) =>
  fillSeries(
    values.map((f, i) => at(i, { fill_pct: f })),
    DEPTH,
  );

describe('bin fill level', () => {
  it('derives fill from the ultrasonic distance and the registered depth', () => {
    expect(fillFromDistance(412, 1100)).toBeCloseTo(62.545, 3);
    expect(readFill(at(0, { distance_mm: 275 }), DEPTH)).toMatchObject({
      fillPct: 75,
      source: 'distance_mm',
    });
    expect(readFill(at(0, { distance_mm: 1100 }), DEPTH)).toMatchObject({ fillPct: 0 });
    expect(readFill(at(0, { distance_mm: 0 }), DEPTH)).toMatchObject({ fillPct: 100 });
  });

  it("prefers the firmware's fill_pct when both are sent", () => {
    const r = readFill(at(0, { fill_pct: 63.5, distance_mm: 412 }), DEPTH);
    expect(r).toMatchObject({ fillPct: 63.5, source: 'fill_pct' });
    expect(r?.flag).toBeUndefined();
  });

  it('clamps small excursions to 0–100 and keeps them valid', () => {
    expect(readFill(at(0, { fill_pct: 103 }), DEPTH)).toMatchObject({ fillPct: 100, rawPct: 103 });
    expect(readFill(at(0, { distance_mm: 1150 }), DEPTH)).toMatchObject({ fillPct: 0 });
    expect(readFill(at(0, { distance_mm: 1150 }), DEPTH)?.flag).toBeUndefined();
  });

  it('flags physically impossible readings', () => {
    expect(readFill(at(0, { fill_pct: 140 }), DEPTH)?.flag).toBe('impossible_fill');
    expect(readFill(at(0, { fill_pct: -12 }), DEPTH)?.flag).toBe('impossible_fill');
    expect(readFill(at(0, { distance_mm: -30 }), DEPTH)?.flag).toBe('impossible_fill');
    // The firmware clamped fill to 0, but the echo came from 30 % beyond the floor: the bin lies on its side.
    expect(readFill(at(0, { fill_pct: 0, distance_mm: 1430 }), DEPTH)?.flag).toBe('beyond_floor');
    expect(readFill(at(0, { fill_pct: 40, tilt: true }), DEPTH)?.flag).toBe('tilted');
  });

  it('has no fill for a sample without fill_pct or distance_mm', () => {
    expect(readFill(at(0, { temperature_c: 4 }), DEPTH)).toBeUndefined();
  });
});

describe('collection detection', () => {
  const settings = { collectedFromPct: 50, collectedToPct: 15 };

  it('records a drop from at least 50 % to at most 15 % as one collection at the emptied reading', () => {
    const found = detectCollections(fills([60, 72, 81, 6, 8, 11]), settings);
    expect(found).toEqual([
      { ts: T0 + 3 * Q, seq: 3, fromTs: T0 + 2 * Q, fromSeq: 2, fromPct: 81, toPct: 6 },
    ]);
  });

  it('counts the exact edges: 50 → 15 is a collection', () => {
    expect(detectCollections(fills([50, 15]), settings)).toHaveLength(1);
    expect(detectCollections(fills([49.9, 5]), settings)).toHaveLength(0);
    expect(detectCollections(fills([90, 15.1]), settings)).toHaveLength(0);
  });

  it('does not count partial emptying or a bag taken out', () => {
    expect(detectCollections(fills([85, 45, 40, 38]), settings)).toEqual([]);
    expect(detectCollections(fills([62, 55, 57]), settings)).toEqual([]);
  });

  it('skips a knocked-over bin whose echo reads as empty', () => {
    const series = fillSeries(
      [
        at(0, { fill_pct: 70 }),
        at(1, { fill_pct: 0, distance_mm: 1400, tilt: true }),
        at(2, { fill_pct: 71 }),
      ],
      DEPTH,
    );
    expect(detectCollections(series, settings)).toEqual([]);
  });

  it('compares consecutive valid readings across a flagged one', () => {
    const series = fillSeries(
      [at(0, { fill_pct: 78 }), at(1, { fill_pct: 150 }), at(2, { fill_pct: 4 })],
      DEPTH,
    );
    expect(detectCollections(series, settings)).toMatchObject([{ fromPct: 78, toPct: 4, ts: T0 + 2 * Q }]);
  });

  it('finds every round in a multi-day series', () => {
    const days = [10, 40, 70, 5, 30, 60, 85, 3, 20];
    expect(detectCollections(fills(days), { ...BIN_DEFAULTS }).map((c) => c.toPct)).toEqual([5, 3]);
  });
});

describe('fill history summary', () => {
  it('summarises valid readings per local day and counts flagged ones by reason', () => {
    const series: FillReading[] = fillSeries(
      [
        at(0, { fill_pct: 20 }),
        at(1, { fill_pct: 40 }),
        at(2, { fill_pct: 130 }),
        at(3, { fill_pct: 30, tilt: true }),
        { ts: T0 + 86_400_000, seq: 9, m: { fill_pct: 10 } },
      ],
      DEPTH,
    );
    const summary = summarizeFill(series);
    expect(summary).toMatchObject({
      readings: 5,
      valid: 3,
      flagged: { impossible_fill: 1, tilted: 1 },
      minPct: 10,
      maxPct: 40,
    });
    // T0 is 08:00 China time on 2 November.
    expect(summary.daily).toEqual([
      { day: '2026-11-02', readings: 2, minPct: 20, maxPct: 40, meanPct: 30 },
      { day: '2026-11-03', readings: 1, minPct: 10, maxPct: 10, meanPct: 10 },
    ]);
  });
});
