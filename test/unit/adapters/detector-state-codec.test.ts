import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDetectorState,
  encodeDetectorState,
} from '../../../functions/adapters/dynamodb/alarms/detector-state-codec';
import { DETECTOR_DEFAULTS, type DetectorState, runDetector } from '../../../functions/core/event-detector';
import { waterSeries } from '../../helpers/water-series';

const round4 = (x: number) => Number(x.toPrecision(4));

/** A state with a full ring of hourly maxima, as a device in service for two weeks holds. */
function inService(maxima: number[]): DetectorState {
  const learned = runDetector(undefined, [], waterSeries({ minutes: 90 })).state;
  return { ...learned, maxima };
}

describe('the stored detector state', () => {
  it('packs the ring of hourly maxima losslessly: any 4-digit decimal in range comes back the same number', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 9.999e6, noNaN: true }).map(round4)), {
          maxLength: 400,
        }),
        (maxima) => {
          const state = inService(maxima);
          expect(decodeDetectorState(encodeDetectorState(state))).toEqual(state);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('packs every 4-digit decimal of every exponent it allows, and each decodes to exactly the number parsed from its decimal text', () => {
    // Exhaustive (16 exponents × 9,000 mantissas): the codec computes with doubles, not with decimal text, so this
    // holds it to the text's rounding for every number it can store.
    const maxima: number[] = [];
    for (let exponent = -12; exponent <= 3; exponent++)
      for (let mantissa = 1000; mantissa <= 9999; mantissa++) maxima.push(Number(`${mantissa}e${exponent}`));
    const state = inService(maxima);
    const text = encodeDetectorState(state);
    expect(JSON.parse(text).mx).toHaveLength(3 * maxima.length);
    expect(decodeDetectorState(text).maxima).toEqual(maxima);
  });

  it('does not pack a number one step off its 4-digit decimal (it would not come back the same)', () => {
    for (const near of [0.1234, 5.5, 1000, 9.999e6, 1e-12]) {
      for (const off of [near * (1 + Number.EPSILON), near * (1 - Number.EPSILON)]) {
        if (off === near) continue;
        const state = inService([10, off]);
        const text = encodeDetectorState(state);
        expect(JSON.parse(text).maxima).toEqual([10, off]);
        expect(decodeDetectorState(text)).toEqual(state);
      }
    }
  });

  it('is about 1 KB smaller with a full ring (2 write units an hour instead of 3)', () => {
    const maxima = Array.from({ length: DETECTOR_DEFAULTS.maximaKept }, (_, i) =>
      round4(3 + ((i * 7919) % 997) / 7.3),
    );
    const state = inService(maxima);
    const plain = JSON.stringify(state).length;
    const packed = encodeDetectorState(state).length;
    expect(plain).toBeGreaterThan(2048);
    expect(packed).toBeLessThan(2048 - 100);
    expect(packed).toBeLessThan(plain - 900);
  });

  it('stores a ring it cannot pack as a plain array, and reads a state stored before the packing as it is', () => {
    for (const odd of [1.23456, 2e7, 1e-13, -1]) {
      const state = inService([10, odd]);
      const text = encodeDetectorState(state);
      expect(JSON.parse(text).maxima).toEqual([10, odd]);
      expect(decodeDetectorState(text)).toEqual(state);
    }
    const old = inService([12.34, 0, 5.5]);
    expect(decodeDetectorState(JSON.stringify(old))).toEqual(old);
  });

  it('refuses packed maxima it cannot read, rather than inventing numbers', () => {
    const text = encodeDetectorState(inService([12.34]));
    const broken = JSON.stringify({ ...JSON.parse(text), mx: 'AB' });
    expect(() => decodeDetectorState(broken)).toThrow(/packed maxima of length 2/);
    expect(() => decodeDetectorState(JSON.stringify({ ...JSON.parse(text), mx: 'A*B' }))).toThrow(/'\*'/);
  });
});
