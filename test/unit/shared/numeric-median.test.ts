import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../device-sim/random';
import { median, numericMedian } from '../../../functions/shared/stats';

describe('numericMedian (the event detector hot loop) against median', () => {
  it('gives the same value on random arrays: sizes up to 400, repeats at a sensor resolution, negatives and zeros', () => {
    const rnd = mulberry32(42);
    for (let t = 0; t < 3_000; t++) {
      // Sizes grow and shrink so the reused buffer is both enlarged and read past what an array fills.
      const n = 1 + Math.floor(rnd() * (t % 3 === 0 ? 400 : 70));
      const step = [0.001, 0.01, 1, 0.1][t % 4] as number;
      const values = Array.from({ length: n }, () => Math.round((rnd() - 0.5) * 40) * step + (t % 5) * step);
      const before = [...values];
      // Numerically equal: a zero's sign may differ (-0 and 0 sort as equals for median, not for a typed sort).
      expect(numericMedian(values) + 0).toBe(median(values) + 0);
      // The caller's array is not reordered.
      expect(values).toEqual(before);
    }
  });

  it('is NaN for no values, like median', () => {
    expect(numericMedian([])).toBeNaN();
    expect(median([])).toBeNaN();
    expect(numericMedian([3, 1, 2])).toBe(2);
    expect(numericMedian([4, 1, 2, 3])).toBe(2.5);
  });
});
