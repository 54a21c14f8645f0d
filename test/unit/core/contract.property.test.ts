import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTRACT_LIMITS, METRIC_NAME_PATTERN, REJECTION_REASONS } from '../../../functions/contract';
import { readingItemSize, toReadingItem } from '../../../functions/core/reading-item';
import { isStorableNumber, type ParseResult, parseTelemetry } from '../../../functions/core/telemetry';
import { hostilePayload } from '../../helpers/hostile';
import { T0 } from '../../helpers/telemetry';

const DEVICE = 'wq-1';
const TOPIC = `dt/water/${DEVICE}`;

/**
 * What every parse result must satisfy: a rejection has a documented reason and a message; an accepted message holds
 * only samples storage takes as they are (so nothing is refused or changed at write time).
 */
function expectSound(result: ParseResult, receivedAt: number): void {
  if (!result.ok) {
    expect(REJECTION_REASONS).toContain(result.reason);
    expect(result.message.length).toBeGreaterThan(0);
    return;
  }
  const { samples } = result.message;
  expect(samples.length).toBeGreaterThan(0);
  expect(samples.length).toBeLessThanOrEqual(CONTRACT_LIMITS.maxSamplesPerMessage);
  const keys = new Set<string>();
  for (const s of samples) {
    expect(Number.isSafeInteger(s.ts)).toBe(true);
    expect(s.ts).toBeGreaterThanOrEqual(CONTRACT_LIMITS.earliestTs);
    expect(s.ts).toBeLessThanOrEqual(receivedAt + CONTRACT_LIMITS.maxFutureMs);
    expect(Number.isSafeInteger(s.seq) && s.seq >= 0 && !Object.is(s.seq, -0)).toBe(true);
    const names = Object.keys(s.m);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(CONTRACT_LIMITS.maxMetricsPerSample);
    for (const name of names) {
      expect(name).toMatch(METRIC_NAME_PATTERN);
      expect(Object.hasOwn(Object.prototype, name)).toBe(false);
      const v = s.m[name];
      if (typeof v === 'number') expect(isStorableNumber(v) && !Object.is(v, -0)).toBe(true);
      else expect(typeof v).toBe('boolean');
    }
    if (s.batteryPct !== undefined) {
      expect(s.batteryPct >= 0 && s.batteryPct <= 100 && isStorableNumber(s.batteryPct)).toBe(true);
    }
    expect(readingItemSize(DEVICE, s)).toBeLessThanOrEqual(CONTRACT_LIMITS.maxItemBytes);
    // The SDK's own marshalling is what refused 1e16 and `constructor` in the field.
    expect(() =>
      marshall(toReadingItem(DEVICE, s, receivedAt, 400), { removeUndefinedValues: true }),
    ).not.toThrow();
    keys.add(`${s.ts}#${s.seq}`);
  }
  expect(keys.size).toBe(samples.length);
}

const parse = (payload: Uint8Array, receivedAt = T0, topic = TOPIC, clientId: string | undefined = DEVICE) =>
  parseTelemetry({ topic, payload, clientId, receivedAt });

describe('device contract v1, for any input', () => {
  it('never throws on arbitrary bytes, topics and client ids', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.oneof(fc.constant(TOPIC), fc.string({ maxLength: 80 })),
        fc.option(fc.oneof(fc.constant(DEVICE), fc.string({ maxLength: 10 })), { nil: undefined }),
        (bytes, topic, clientId) => expectSound(parse(bytes, T0, topic, clientId), T0),
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectSound(parse(Buffer.from(JSON.stringify(value))), T0)),
      { numRuns: 500 },
    );
  });

  it('accepts only what storage holds exactly, for valid-looking messages with hostile values', () => {
    fc.assert(
      fc.property(hostilePayload(T0), (text) => expectSound(parse(Buffer.from(text)), T0)),
      { numRuns: 1000 },
    );
  });

  it('never throws whatever the receive time', () => {
    fc.assert(
      fc.property(
        hostilePayload(T0),
        fc.oneof(fc.double(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })),
        (text, receivedAt) => {
          const result = parse(Buffer.from(text), receivedAt);
          if (!result.ok) expect(REJECTION_REASONS).toContain(result.reason);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects a message as a whole: one hostile sample in a batch of good ones rejects the batch', () => {
    fc.assert(
      fc.property(hostilePayload(T0), fc.nat({ max: 3 }), (text, at) => {
        const hostile = parse(Buffer.from(text));
        fc.pre(!hostile.ok && text.includes('"samples"') === false);
        const sample = text.replace(/^\{"v":1,/, '{');
        const good = Array.from({ length: 3 }, (_, i) => `{"ts":${T0 - i * 60_000},"seq":${i},"m":{"ph":7}}`);
        good.splice(at, 0, sample);

        const batch = parse(Buffer.from(`{"v":1,"samples":[${good.join(',')}]}`));

        expect(batch.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
