import { describe, expect, it } from 'vitest';
import { decodeRollup, encodeRollup } from '../../../functions/adapters/dynamodb/rollup-item-codec';
import { chinaDayStart } from '../../../functions/core/china-calendar';
import { itemSize, writeUnits } from '../../../functions/core/reading-item';
import { rollupDay, rollupHour } from '../../../functions/core/rollup';
import type { RollupItem } from '../../../functions/core/rollup-types';
import { MINUTE, waterDevice, waterMetrics } from '../../helpers/telemetry';

const H = Date.UTC(2026, 10, 3, 5);
const device = waterDevice('wq-town-outlet-01', { intervalS: 60 });
/** A value as a device sends it: a decimal of a few digits. */
const reading = (x: number) => Math.round(x * 1000) / 1000;
/** Ten metrics a minute, one of them impossible now and then: every field of an aggregate is used. */
const samples = Array.from({ length: 60 }, (_, i) => ({
  ts: H + i * MINUTE + 13_000,
  seq: i,
  m: {
    ...Object.fromEntries(Object.entries(waterMetrics(i)).map(([k, v]) => [k, reading(v)])),
    free_chlorine_mg_l: i % 11 === 0 ? 25 : reading(0.2 + i / 100),
    orp_mv: 600 + i,
    total_chlorine_mg_l: reading(0.8 + (i % 3) / 10),
    tds_mg_l: 300 + i,
    pressure_kpa: 300 + i,
    flow_m3_h: reading(20 + i / 7),
  },
}));

describe('roll-up items as stored', () => {
  const hour = rollupHour(device, H, samples, [], 1_764_000_000_123) as RollupItem;
  const day = rollupDay(device, chinaDayStart(H), [hour], 1_764_000_000_456) as RollupItem;

  it('decode(encode(item)) is the item, hourly and daily', () => {
    expect(Object.keys(hour.metrics)).toHaveLength(10);
    expect(hour.metrics.free_chlorine_mg_l).toMatchObject({ flagged: 6, overLimit: expect.any(Number) });
    expect(decodeRollup(encodeRollup(hour))).toEqual(hour);
    expect(decodeRollup(encodeRollup(day))).toEqual(day);
  });

  it('an hour of ten metrics (values of a few decimals, as devices send them) is one write unit stored, about half its plain size', () => {
    const stored = encodeRollup(hour) as unknown as Record<string, unknown>;
    expect(writeUnits(stored)).toBe(1);
    expect(itemSize(stored)).toBeLessThan(itemSize(hour as unknown as Record<string, unknown>) * 0.6);
    expect(writeUnits(encodeRollup(day) as unknown as Record<string, unknown>)).toBe(1);
  });
});
