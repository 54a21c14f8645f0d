import fc from 'fast-check';
import { CONTRACT_LIMITS } from '../../functions/contract';

/** Values a device could put in a metric, biased towards the edges of what storage holds. */
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    1e16,
    -1e16,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER,
    1e-200,
    1e-130,
    -1e-130,
    9.99e-131,
    5e-324,
    1e-7,
    2.7e-17,
    -0,
    0,
    1e125,
    1.7976931348623157e308,
  ),
);

const hostileValue = fc.oneof(
  { weight: 6, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.boolean() },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.string(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
  },
);

/** Metric names: mostly valid, plus Object.prototype names and arbitrary strings. */
const hostileName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      '__defineGetter__',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

/** Timestamps around the accepted window and far outside the Date range, as numbers and ISO strings. */
function hostileTs(receivedAt: number) {
  const window = fc.integer({ min: CONTRACT_LIMITS.earliestTs - 1000, max: receivedAt + 2 * 86_400_000 });
  return fc.oneof(
    { weight: 4, arbitrary: window },
    {
      weight: 2,
      arbitrary: fc.constantFrom(9e15, -9e15, 8.64e15, 8.64e15 + 1, 0, -1, receivedAt + 86_400_000),
    },
    { weight: 1, arbitrary: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }) },
    { weight: 1, arbitrary: fc.double() },
    {
      weight: 2,
      arbitrary: window.map((ms) => new Date(ms).toISOString().replace('Z', '+00:00')),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '9999-12-31T23:59:59.999+00:00',
        '0000-01-01T00:00:00Z',
        '2025-02-30T00:00:00Z',
        '2025-11-28T10:00:00+23:59',
        'yesterday',
      ),
    },
  );
}

/** JSON text of an object whose keys are written as given, so `__proto__` arrives as an own key, as on the wire. */
function objectText(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${valueText(v)}`).join(',')}}`;
}

/** JSON text to embed as it is. */
class RawJson {
  constructor(readonly text: string) {}
}

function valueText(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  // JSON.stringify writes -0 as 0 and drops the edge being tested; write numbers as JS prints them.
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : String(v)) : 'null';
  return JSON.stringify(v) ?? 'null';
}

/** A sample in wire format with hostile parts, as JSON text. */
function hostileSample(receivedAt: number) {
  return fc
    .record({
      ts: hostileTs(receivedAt),
      seq: fc.oneof(fc.nat(), fc.constantFrom(-0, -1, Number.MAX_SAFE_INTEGER, 1e16, 0.5)),
      m: fc.array(fc.tuple(hostileName, hostileValue), { minLength: 0, maxLength: 5 }),
      battery: fc.option(fc.oneof(fc.double({ min: 0, max: 100 }), fc.constantFrom(1e-200, -0, 101)), {
        nil: undefined,
      }),
    })
    .map(({ ts, seq, m, battery }) =>
      objectText([
        ['ts', ts],
        ['seq', seq],
        ['m', new RawJson(objectText(m))],
        ...(battery === undefined ? [] : [['battery_pct', battery] as const]),
      ]),
    );
}

/** A payload that looks like contract v1 (single or batch) but carries hostile parts. */
export function hostilePayload(receivedAt: number) {
  return fc.oneof(
    hostileSample(receivedAt).map((s) => `{"v":1,${s.slice(1)}`),
    fc
      .array(hostileSample(receivedAt), { minLength: 1, maxLength: 4 })
      .map((samples) => `{"v":1,"samples":[${samples.join(',')}]}`),
  );
}
