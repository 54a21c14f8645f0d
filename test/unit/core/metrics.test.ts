import { describe, expect, it } from 'vitest';
import { ownValue } from '../../../functions/core/metrics';
import { numericValue, outOfRange } from '../../../functions/core/quality';

describe('metric lookups never reach Object.prototype', () => {
  it('ownValue returns only a record’s own entries', () => {
    expect(ownValue<number>({ ph: 7 }, 'ph')).toBe(7);
    expect(ownValue<number>({ ph: 7 }, 'constructor')).toBeUndefined();
    expect(ownValue<number>({ ph: 7 }, '__proto__')).toBeUndefined();
    expect(ownValue<number>(undefined, 'ph')).toBeUndefined();
  });

  it('a sample without a metric named like a prototype property has no value for it', () => {
    const sample = { ts: 0, seq: 0, m: { ph: 7 } };

    expect(['constructor', 'toString', 'valueOf'].map((name) => numericValue(sample, name))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a prototype name has no physical range', () => {
    expect(outOfRange('constructor', 1)).toBe(false);
  });
});
