import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../device-sim/random';
import { CONTRACT_LIMITS } from '../../../functions/contract';
import {
  fromReadingItem,
  itemSize,
  readingItemSize,
  readingSortKey,
  toReadingItem,
  writeUnits,
} from '../../../functions/core/reading-item';
import type { Sample } from '../../../functions/core/telemetry';
import { DAY, T0 } from '../../helpers/telemetry';

/** Every water metric of the limits catalogue, with values of full sensor precision. */
const ALL_WATER_METRICS = {
  turbidity_ntu: 0.4213,
  ph: 7.312,
  free_chlorine_mg_l: 0.6125,
  total_chlorine_mg_l: 0.8841,
  chlorine_dioxide_mg_l: 0.1234,
  conductivity_us_cm: 412.75,
  tds_mg_l: 268.31,
  temperature_c: -6.825,
  orp_mv: 712.5,
  dissolved_oxygen_mg_l: 9.8125,
  nitrate_n_mg_l: 2.3456,
  ammonia_n_mg_l: 0.0525,
  fluoride_mg_l: 0.8125,
  codmn_mg_l: 1.9375,
  pressure_kpa: 312.125,
  flow_m3_h: 41.3125,
};

describe('reading item mapping', () => {
  it('orders sort keys as strings exactly as samples order by (ts, seq)', () => {
    const next = mulberry32(42);
    const pairs = Array.from({ length: 2000 }, () => ({
      ts: CONTRACT_LIMITS.earliestTs + Math.floor(next() * 20 * 365 * DAY),
      // Mix small and huge counters so keys of different digit counts are compared.
      seq: next() < 0.5 ? Math.floor(next() * 1000) : Math.floor(next() * Number.MAX_SAFE_INTEGER),
    }));
    pairs.push({ ts: T0, seq: 9 }, { ts: T0, seq: 10 }, { ts: T0 - 1, seq: Number.MAX_SAFE_INTEGER });

    const byString = [...pairs].sort((a, b) => {
      const ka = readingSortKey(a.ts, a.seq);
      const kb = readingSortKey(b.ts, b.seq);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    const byNumbers = [...pairs].sort((a, b) => a.ts - b.ts || a.seq - b.seq);

    expect(byString).toEqual(byNumbers);
  });

  it('gives two samples with the same ts but different seq different sort keys', () => {
    expect(readingSortKey(T0, 1)).not.toBe(readingSortKey(T0, 2));
  });

  it('sets the TTL to the sample time in seconds plus the retention days', () => {
    const item = toReadingItem('wq-1', { ts: T0 + 999, seq: 1, m: { ph: 7 } }, T0 + 5000, 400);

    expect(item.ttl).toBe(Math.floor((T0 + 999) / 1000) + 400 * 86_400);
  });

  it('maps a sample to an item and back without loss', () => {
    const sample: Sample = { ts: T0, seq: 812, m: { ph: 7.3, tilt: false }, batteryPct: 87 };

    const item = toReadingItem('wq-1', sample, T0 + 1500, 400);

    expect(item).toMatchObject({ deviceId: 'wq-1', ts: T0, seq: 812, bat: 87, rcv: T0 + 1500 });
    expect(fromReadingItem(item)).toEqual({ ...sample, receivedAt: T0 + 1500 });
  });

  it('leaves bat out when the sample has no battery level', () => {
    const item = toReadingItem('wq-1', { ts: T0, seq: 1, m: { ph: 7 } }, T0, 400);

    expect(item).not.toHaveProperty('bat');
  });

  it('stores a realistic maximal water sample in one item of at most 1 KB, one write unit', () => {
    const sample: Sample = { ts: T0, seq: Number.MAX_SAFE_INTEGER, m: ALL_WATER_METRICS, batteryPct: 87.5 };
    const deviceId = 'x'.repeat(64);

    const size = readingItemSize(deviceId, sample);

    expect(size).toBeLessThanOrEqual(CONTRACT_LIMITS.maxItemBytes);
    expect(writeUnits({ ...toReadingItem(deviceId, sample, T0, 400) })).toBe(1);
  });

  it.each([
    ['a string counts name and UTF-8 bytes', { id: 'abc' }, 2 + 3],
    ['a multi-byte string counts bytes, not characters', { n: '水厂' }, 1 + 6],
    ['a number counts one byte per two significant digits plus one', { n: 12345 }, 1 + 4],
    ['leading and trailing zeros are not significant', { n: 0.0012 }, 1 + 2],
    ['a boolean counts one byte', { t: true }, 1 + 1],
    ['a map counts 3 bytes plus name, value and 1 byte per entry', { m: { ph: 7.3 } }, 1 + 3 + (2 + 2 + 1)],
    ['an undefined attribute counts nothing', { a: 'x', b: undefined }, 2],
  ])('itemSize: %s', (_, item, expected) => {
    expect(itemSize(item)).toBe(expected);
  });

  it('counts a second started kilobyte as a second write unit', () => {
    expect(writeUnits({ blob: 'x'.repeat(1024) })).toBe(2);
    expect(writeUnits({ blob: 'x'.repeat(1019) })).toBe(1);
  });
});
