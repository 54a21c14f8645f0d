import { describe, expect, it } from 'vitest';
import { CONTRACT_LIMITS, REJECTION_REASONS, RESERVED_METRIC_NAMES } from '../../../functions/contract';
import {
  isStorableNumber,
  type ParseResult,
  parseTelemetry,
  type TelemetryInput,
} from '../../../functions/core/telemetry';
import { DAY, json, MINUTE, T0, waterMetrics, wireSample } from '../../helpers/telemetry';

const TOPIC = 'dt/water/wq-town-outlet';

function parse(payload: unknown, overrides: Partial<TelemetryInput> = {}): ParseResult {
  return parseTelemetry({
    topic: TOPIC,
    payload: Buffer.isBuffer(payload)
      ? payload
      : typeof payload === 'string'
        ? Buffer.from(payload)
        : json(payload),
    receivedAt: T0,
    ...overrides,
  });
}

function rejection(result: ParseResult) {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.message)}`);
  return result;
}

function accepted(result: ParseResult) {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.reason}: ${result.message}`);
  return result.message;
}

describe('device contract v1: rejections', () => {
  it.each([
    ['an unknown kind', 'dt/air/wq-town-outlet'],
    ['a device id with a space', 'dt/water/wq town'],
    ['an extra level', 'dt/water/wq-town-outlet/extra'],
    ['a missing device id', 'dt/water/'],
    ['a device id longer than 64 characters', `dt/water/${'x'.repeat(65)}`],
    ['another prefix', 'telemetry/water/wq-town-outlet'],
  ])('rejects %s in the topic as bad_topic', (_, topic) => {
    const result = rejection(parse({ v: 1, ...wireSample(T0, 1) }, { topic }));

    expect(result.reason).toBe('bad_topic');
    expect(result.message).toContain(topic);
  });

  it('rejects a client publishing on another device topic as topic_mismatch, attributed to the publisher', () => {
    const result = rejection(parse({ v: 1, ...wireSample(T0, 1) }, { clientId: 'wq-intruder' }));

    expect(result).toMatchObject({ reason: 'topic_mismatch', deviceId: 'wq-intruder' });
    expect(result.message).toContain('"wq-town-outlet"');
  });

  it('rejects a message one byte over the maximum as oversize, before reading it', () => {
    const payload = Buffer.alloc(CONTRACT_LIMITS.maxMessageBytes + 1, 0x20);

    const result = rejection(parse(payload));

    expect(result).toMatchObject({ reason: 'oversize', deviceId: 'wq-town-outlet' });
    expect(result.message).toContain(String(CONTRACT_LIMITS.maxMessageBytes + 1));
  });

  it('accepts a message of exactly the maximum size', () => {
    const body = JSON.stringify({ v: 1, ...wireSample(T0, 1) });
    const payload = Buffer.from(body.padEnd(CONTRACT_LIMITS.maxMessageBytes, ' '));

    expect(parse(payload).ok).toBe(true);
  });

  it.each([
    ['truncated JSON', Buffer.from('{"v":1,"ts":')],
    ['plain text', Buffer.from('turbidity=0.42')],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['an empty payload', Buffer.alloc(0)],
  ])('rejects %s as not_json', (_, payload) => {
    const result = rejection(parse(payload));

    expect(result).toMatchObject({ reason: 'not_json', deviceId: 'wq-town-outlet' });
  });

  it.each([
    ['v=2', { v: 2, ...wireSample(T0, 1) }, 'v=2'],
    ['a missing v', wireSample(T0, 1), 'v=missing'],
    ['v as a string', { v: '1', ...wireSample(T0, 1) }, 'v="1"'],
  ])('rejects %s as unsupported_version', (_, payload, shown) => {
    const result = rejection(parse(payload));

    expect(result.reason).toBe('unsupported_version');
    expect(result.message).toContain(shown);
  });

  it.each([
    ['a JSON array', [1, 2]],
    ['a JSON number', 42],
    ['JSON null', null],
  ])('rejects %s as bad_shape', (_, payload) => {
    expect(rejection(parse(payload)).reason).toBe('bad_shape');
  });

  it.each([
    ['a missing seq', { v: 1, ts: T0, m: { ph: 7.3 } }, 'seq:'],
    ['a negative seq', { v: 1, ts: T0, seq: -1, m: { ph: 7.3 } }, 'seq:'],
    ['a fractional ts', { v: 1, ts: T0 + 0.5, seq: 1, m: { ph: 7.3 } }, 'ts:'],
    ['a ts that is neither number nor ISO-8601', { v: 1, ts: 'yesterday', seq: 1, m: { ph: 7.3 } }, 'ts:'],
    ['an empty m', { v: 1, ts: T0, seq: 1, m: {} }, 'm: m must hold at least one metric'],
    ['a metric name not in lower_snake_case', { v: 1, ts: T0, seq: 1, m: { Turbidity: 1 } }, 'm.Turbidity'],
    ['a string metric value', { v: 1, ts: T0, seq: 1, m: { ph: '7.3' } }, 'm.ph'],
    ['a null metric value', { v: 1, ts: T0, seq: 1, m: { ph: null } }, 'm.ph'],
    ['battery_pct above 100', { v: 1, ...wireSample(T0, 1), battery_pct: 120 }, 'battery_pct:'],
    ['an empty samples batch', { v: 1, samples: [] }, 'samples: samples must not be empty'],
    [
      'a bad sample inside a batch',
      { v: 1, samples: [wireSample(T0, 1), { ts: T0, seq: 2, m: { ph: 'high' } }] },
      'samples.1.m.ph',
    ],
  ])('rejects %s as bad_shape with a message naming the path', (_, payload, path) => {
    const result = rejection(parse(payload));

    expect(result).toMatchObject({ reason: 'bad_shape', deviceId: 'wq-town-outlet' });
    expect(result.message).toContain(path);
  });

  it('rejects more than the maximum samples in a batch as too_many_samples', () => {
    const samples = Array.from({ length: CONTRACT_LIMITS.maxSamplesPerMessage + 1 }, (_, i) =>
      wireSample(T0 + i * 1000, i, { ph: 7 }),
    );

    const result = rejection(parse({ v: 1, samples }));

    expect(result.reason).toBe('too_many_samples');
    expect(result.message).toContain(String(CONTRACT_LIMITS.maxSamplesPerMessage));
  });

  it('accepts a batch of exactly the maximum samples', () => {
    const samples = Array.from({ length: CONTRACT_LIMITS.maxSamplesPerMessage }, (_, i) =>
      wireSample(T0 + i * 1000, i, { ph: 7 }),
    );

    expect(accepted(parse({ v: 1, samples })).samples).toHaveLength(CONTRACT_LIMITS.maxSamplesPerMessage);
  });

  it('rejects a ts more than a day after the receive time as ts_in_future', () => {
    const result = rejection(parse({ v: 1, ...wireSample(T0 + DAY + 1, 1) }));

    expect(result.reason).toBe('ts_in_future');
    expect(result.message).toContain('NTP');
  });

  it('accepts a ts exactly a day after the receive time (clock drift allowance)', () => {
    expect(parse({ v: 1, ...wireSample(T0 + DAY, 1) }).ok).toBe(true);
  });

  it('names the offending sample of a batch when one ts is in the future', () => {
    const result = rejection(parse({ v: 1, samples: [wireSample(T0, 1), wireSample(T0 + 2 * DAY, 2)] }));

    expect(result.reason).toBe('ts_in_future');
    expect(result.message).toContain('samples.1.ts');
  });

  it('rejects a ts in seconds as ts_too_old and says it may be seconds', () => {
    const result = rejection(parse({ v: 1, ...wireSample(Math.floor(T0 / 1000), 1) }));

    expect(result.reason).toBe('ts_too_old');
    expect(result.message).toContain('seconds');
  });

  it('rejects a ts just before 2020 as ts_too_old and accepts 2020-01-01T00:00:00Z', () => {
    const before = parse({ v: 1, ...wireSample(CONTRACT_LIMITS.earliestTs - 1, 1) });
    const at = parse({ v: 1, ...wireSample(CONTRACT_LIMITS.earliestTs, 1) });

    expect(rejection(before).reason).toBe('ts_too_old');
    expect(at.ok).toBe(true);
  });

  it('rejects a sample that would be stored as more than 1 KB as sample_too_large', () => {
    const m = Object.fromEntries(
      Array.from({ length: CONTRACT_LIMITS.maxMetricsPerSample }, (_, i) => [
        `metric_${String(i).padStart(2, '0')}_with_a_long_descriptive_name_mg_l`,
        123456.789012345,
      ]),
    );

    const result = rejection(parse({ v: 1, ts: T0, seq: 1, m }));

    expect(result.reason).toBe('sample_too_large');
    expect(result.message).toContain('1024');
  });

  it('every parser rejection reason is one of the documented REJECTION_REASONS', () => {
    const parserReasons = [
      'bad_topic',
      'topic_mismatch',
      'oversize',
      'not_json',
      'unsupported_version',
      'bad_shape',
      'bad_value',
      'too_many_samples',
      'ts_in_future',
      'ts_too_old',
      'sample_too_large',
    ];

    expect(REJECTION_REASONS).toEqual(expect.arrayContaining(parserReasons));
    expect(REJECTION_REASONS.filter((r) => !parserReasons.includes(r))).toEqual([
      'unknown_device',
      'wrong_kind',
    ]);
  });
});

describe('device contract v1: accepted messages', () => {
  it('parses a single sample with its battery level', () => {
    const message = accepted(parse({ v: 1, ...wireSample(T0, 812, waterMetrics()), battery_pct: 87 }));

    expect(message).toEqual({
      deviceId: 'wq-town-outlet',
      kind: 'water',
      samples: [{ ts: T0, seq: 812, m: waterMetrics(), batteryPct: 87 }],
    });
  });

  it('parses a bin sample on dt/bin with a boolean metric', () => {
    const message = accepted(
      parse(
        { v: 1, ts: T0, seq: 40, m: { fill_pct: 63.5, distance_mm: 412, temperature_c: 3.1, tilt: false } },
        { topic: 'dt/bin/bin-bazaar-01' },
      ),
    );

    expect(message.kind).toBe('bin');
    expect(message.samples[0]?.m.tilt).toBe(false);
  });

  it('converts an ISO-8601 ts with an offset to epoch milliseconds', () => {
    const message = accepted(parse({ v: 1, ts: '2025-11-28T18:00:00+08:00', seq: 1, m: { ph: 7.3 } }));

    expect(message.samples[0]?.ts).toBe(T0);
  });

  it('keeps metrics it does not know', () => {
    const message = accepted(parse({ v: 1, ts: T0, seq: 1, m: { ph: 7.3, uv254_abs_m: 0.12 } }));

    expect(message.samples[0]?.m).toEqual({ ph: 7.3, uv254_abs_m: 0.12 });
  });

  it('parses a batch and sorts its samples by ts then seq', () => {
    const message = accepted(
      parse({
        v: 1,
        samples: [
          wireSample(T0 + MINUTE, 3),
          wireSample(T0, 2),
          wireSample(T0 + MINUTE, 1),
          wireSample(T0, 0),
        ],
      }),
    );

    expect(message.samples.map((s) => [s.ts - T0, s.seq])).toEqual([
      [0, 0],
      [0, 2],
      [MINUTE, 1],
      [MINUTE, 3],
    ]);
  });

  it('gives a batch-level battery_pct to the newest sample only', () => {
    const message = accepted(
      parse({
        v: 1,
        samples: [wireSample(T0 + 2 * MINUTE, 3), wireSample(T0, 1), wireSample(T0 + MINUTE, 2)],
        battery_pct: 71,
      }),
    );

    expect(message.samples.map((s) => s.batteryPct)).toEqual([undefined, undefined, 71]);
  });

  it('keeps a sample-level battery_pct over the batch-level one', () => {
    const message = accepted(
      parse({
        v: 1,
        samples: [wireSample(T0, 1), { ...wireSample(T0 + MINUTE, 2), battery_pct: 55 }],
        battery_pct: 71,
      }),
    );

    expect(message.samples.map((s) => s.batteryPct)).toEqual([undefined, 55]);
  });

  it('collapses a sample repeated inside one message into one', () => {
    const message = accepted(
      parse({ v: 1, samples: [wireSample(T0, 7), wireSample(T0 + MINUTE, 8), wireSample(T0, 7)] }),
    );

    expect(message.samples.map((s) => s.seq)).toEqual([7, 8]);
  });

  it('keeps two samples with the same ts and different seq', () => {
    const message = accepted(parse({ v: 1, samples: [wireSample(T0, 7), wireSample(T0, 8)] }));

    expect(message.samples).toHaveLength(2);
  });

  it('accepts a Basic Ingest topic and reads the device from its tail', () => {
    const message = accepted(
      parse(
        { v: 1, ...wireSample(T0, 1) },
        { topic: '$aws/rules/pamir_telemetry_water/dt/water/x', clientId: 'x' },
      ),
    );

    expect(message).toMatchObject({ deviceId: 'x', kind: 'water' });
  });

  it('accepts a message without a client id (published over HTTPS)', () => {
    expect(parse({ v: 1, ...wireSample(T0, 1) }, { clientId: undefined }).ok).toBe(true);
  });
});

/**
 * zod 4 wraps record-key and union failures ("Invalid key in record", "Invalid input"); the contract unwraps them
 * so its own explanations reach the firmware engineer.
 */
describe('device contract v1: bad_shape explanations', () => {
  it('says metric names must be lower_snake_case with their unit', () => {
    const result = rejection(parse({ v: 1, ts: T0, seq: 1, m: { Turbidity: 1 } }));

    expect(result.message).toContain('lower_snake_case');
  });

  it('says metric values must be numbers or booleans', () => {
    const result = rejection(parse({ v: 1, ts: T0, seq: 1, m: { ph: '7.3' } }));

    expect(result.message).toMatch(/finite number/);
  });

  it('says a fractional ts must be whole epoch milliseconds', () => {
    const result = rejection(parse({ v: 1, ts: T0 + 0.5, seq: 1, m: { ph: 7.3 } }));

    expect(result.message).toContain('integer');
  });
});

/** Field breakers from issue 9: each of these once failed a whole batch instead of being quarantined alone. */
describe('device contract v1: values and names storage would refuse', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'rejects the reserved metric name %s as bad_shape, naming its path',
    (name) => {
      // Built as text: an object literal cannot carry an own `__proto__` key.
      const payload = `{"v":1,"ts":${T0},"seq":1,"m":{"ph":7.2,${JSON.stringify(name)}:1}}`;

      const result = rejection(parse(payload));

      expect(result.reason).toBe('bad_shape');
      expect(result.message).toContain(`m.${name}`);
      expect(result.message).toContain('reserved');
    },
  );

  it('names the sample of a batch that carries a reserved metric name', () => {
    const payload = `{"v":1,"samples":[{"ts":${T0},"seq":1,"m":{"ph":7}},{"ts":${T0},"seq":2,"m":{"__proto__":1}}]}`;

    expect(rejection(parse(payload)).message).toContain('samples.1.m.__proto__');
  });

  it('reserves every Object.prototype property name', () => {
    expect(RESERVED_METRIC_NAMES).toEqual(expect.arrayContaining(['constructor', '__proto__', 'toString']));
    expect(RESERVED_METRIC_NAMES).toHaveLength(Object.getOwnPropertyNames(Object.prototype).length);
  });

  it.each([
    ['above Number.MAX_SAFE_INTEGER', 1e16],
    ['one past Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 2],
    ['below -Number.MAX_SAFE_INTEGER', -1e16],
    ['below DynamoDB 1e-130', 1e-200],
    ['just below 1e-130', 9.99e-131],
    ['the smallest double', 5e-324],
    ['a negative underflow', -1e-131],
  ])('rejects a metric value %s as bad_value, naming the metric and the range', (_, value) => {
    const result = rejection(parse({ v: 1, ts: T0, seq: 1, m: { ph: 7, flow_m3_h: value } }));

    expect(result.reason).toBe('bad_value');
    expect(result.message).toContain('m.flow_m3_h');
    expect(result.message).toContain('9007199254740991');
  });

  it.each([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e-130, -1e-130, 1e-7, 2.7e-17, 0])(
    'accepts the storable value %s unchanged',
    (value) => {
      const message = accepted(parse({ v: 1, ts: T0, seq: 1, m: { flow_m3_h: value } }));

      expect(message.samples[0]?.m.flow_m3_h).toBe(value);
    },
  );

  it('stores -0 as 0, as DynamoDB returns it, in metrics, battery_pct and seq', () => {
    const message = accepted(parse({ v: 1, ts: T0, seq: -0, m: { ph: -0 }, battery_pct: -0 }));

    expect(Object.is(message.samples[0]?.m.ph, 0)).toBe(true);
    expect(Object.is(message.samples[0]?.batteryPct, 0)).toBe(true);
    expect(Object.is(message.samples[0]?.seq, 0)).toBe(true);
  });

  it('rejects a battery_pct DynamoDB cannot store as bad_value', () => {
    expect(rejection(parse({ v: 1, ts: T0, seq: 1, m: { ph: 7 }, battery_pct: 1e-200 })).reason).toBe(
      'bad_value',
    );
  });

  it('isStorableNumber draws the line at both ends', () => {
    expect([1e-130, Number.MAX_SAFE_INTEGER, 0, -0].map(isStorableNumber)).toEqual([true, true, true, true]);
    expect([9.9e-131, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity].map(isStorableNumber)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('rejects ts 9e15 as ts_in_future without formatting an invalid date', () => {
    const result = rejection(parse({ v: 1, ts: 9e15, seq: 1, m: { ph: 7 } }));

    expect(result.reason).toBe('ts_in_future');
    expect(result.message).toContain('9000000000000000 ms');
  });

  it('rejects ts -9e15 as ts_too_old without formatting an invalid date', () => {
    const result = rejection(parse({ v: 1, ts: -9e15, seq: 1, m: { ph: 7 } }));

    expect(result.reason).toBe('ts_too_old');
    expect(result.message).toContain('-9000000000000000 ms');
  });

  it('rejects an ISO ts at the far end of the calendar as ts_in_future', () => {
    const result = rejection(parse({ v: 1, ts: '9999-12-31T23:59:59.999+00:00', seq: 1, m: { ph: 7 } }));

    expect(result.reason).toBe('ts_in_future');
    expect(result.message).toContain('9999-12-31');
  });

  it('rejects an ISO ts in year 0000 as ts_too_old', () => {
    expect(rejection(parse({ v: 1, ts: '0000-01-01T00:00:00Z', seq: 1, m: { ph: 7 } })).reason).toBe(
      'ts_too_old',
    );
  });

  it('does not throw on a receive time outside the Date range', () => {
    const result = rejection(parse({ v: 1, ts: 9e15, seq: 1, m: { ph: 7 } }, { receivedAt: 8.7e15 - DAY }));

    expect(result.reason).toBe('ts_in_future');
  });

  it('describes a deeply nested version without serialising it', () => {
    const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;

    const result = rejection(parse(`{"v":${deep}}`));

    expect(result.reason).toBe('unsupported_version');
    expect(result.message).toContain('an array');
  });
});
