import '../helpers/quiet-logs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDeps } from '../../functions/composition';
import { API_ROUTES } from '../../functions/contract';
import type { Device } from '../../functions/core/registry';
import { buildApiHandler } from '../../functions/handlers/api-handler';
import { apiEvent, lambdaContext } from '../helpers/aws-events';
import { fileDeadLetters } from '../helpers/dead-letters';
import { binDevice, waterDevice } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { type Harness, startHarness } from './alarms/harness';

/**
 * Property: whatever arrives in a path parameter, query parameter or body, the API function answers below 500, and
 * every 4xx carries a message. The service runs for real over dynalite (the real SDK), so anything DynamoDB itself
 * would refuse (over-long keys, malformed start keys) surfaces here as the 500 it would be in the cloud.
 */

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;
const outlet: Device = waterDevice('wq-1', { measurementPoint: 'plant_outlet' });
const bin: Device = binDevice('bin-1');

/** The query parameters each route knows, so the fuzz reaches past "unknown parameter" most of the time. */
const QUERY_KEYS: Record<string, readonly string[]> = {
  'GET /devices': ['kind', 'siteId', 'township'],
  'GET /devices/{id}/readings': ['from', 'to', 'metric', 'limit', 'order', 'cursor'],
  'GET /quarantine': ['limit', 'deviceId', 'reason', 'days', 'cursor'],
  'GET /alarms': ['state', 'siteId', 'deviceId', 'severity', 'limit', 'cursor'],
  'GET /subscriptions': ['audience', 'siteId', 'township'],
  'GET /bins': ['township', 'needsCollectionWithin'],
  'GET /bins/collections': ['from', 'to', 'township'],
  'GET /bins/{id}': ['days'],
};

/** Values each parameter accepts, so a fuzzed parameter is often the only wrong one. */
const VALID: Record<string, readonly string[]> = {
  kind: ['water', 'bin'],
  siteId: ['plant-test'],
  township: ['Test Town'],
  from: [String(START - 60 * MIN), '2026-11-28T00:00:00Z'],
  to: [String(START + 60 * MIN), '2026-11-28T12:00:00+08:00'],
  metric: ['free_chlorine_mg_l', 'ph'],
  limit: ['1', '2', '500'],
  order: ['asc', 'desc'],
  deviceId: ['wq-1', 'bin-1'],
  reason: ['not_json', 'bad_shape'],
  days: ['1', '7'],
  state: ['open', 'closed', 'active_unack'],
  severity: ['critical', 'warning'],
  audience: ['operators'],
  needsCollectionWithin: ['PT6H', 'P7D'],
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Values people and attackers actually send: edge numbers, times, escapes, internal key shapes. */
const nasty = fc.constantFrom(
  '',
  ' ',
  '%',
  '%ZZ',
  '%25',
  '%2F',
  '..',
  '/',
  '\u0000',
  '\uD800',
  '__proto__',
  'constructor',
  'dev#wq-1',
  'flood#x',
  'wq-1',
  'bin-1',
  'plant-test',
  'A7K2M9QXR',
  'a'.repeat(65),
  'x'.repeat(10_000),
  '0',
  '-1',
  '1',
  '1000',
  '1001',
  '9999999999999999',
  '8640000000000001',
  '1e308',
  'NaN',
  'Infinity',
  '0x10',
  '2025-11-28T10:00:00Z',
  '2026-11-28T10:00:00+08:00',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  'PT6H',
  'P99999999999999999999D',
  'P1Y',
  'asc',
  'desc',
  'open',
  'closed',
  'water',
  'bin',
  'not_json',
  'operators',
);

/** Cursors: garbage, and well-formed ones for the wrong device, status, day, range or filter. */
const cursor = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.jsonValue({ maxDepth: 2 }).map(b64),
  fc
    .record({
      deviceId: fc.oneof(fc.constant('wq-1'), fc.constant('bin-1'), fc.string({ maxLength: 80 })),
      sk: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc
          .integer({ min: 0, max: 9_999_999_999_999 })
          .map((t) => `${String(t).padStart(13, '0')}#0000000000000001`),
      ),
    })
    .map(b64),
  fc
    .record({
      alarmId: fc.string({ maxLength: 20 }),
      status: fc.constantFrom('open', 'closed', 'x'),
      raisedAt: fc.oneof(fc.integer(), fc.double(), fc.constant(1e300)),
    })
    .map(b64),
  fc
    .record(
      {
        day: fc.oneof(
          fc.constantFrom('2026-11-28', '2026-11-27', '2099-01-01', '2026-02-30', '0000-01-01'),
          fc.string({ maxLength: 12 }),
        ),
        sk: fc.oneof(
          fc.integer({ min: 0, max: 9_999_999_999_999 }).map((t) => `${String(t).padStart(13, '0')}#q`),
          fc.constant(`${START}#x`),
          fc.string({ maxLength: 30 }),
        ),
        f: fc.constantFrom('|', 'wq-1|', '|not_json', 'x'),
      },
      { requiredKeys: ['day'] },
    )
    .map(b64),
);

const value = fc.oneof(
  { arbitrary: nasty, weight: 4 },
  { arbitrary: fc.string({ maxLength: 80 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.integer({ min: -8.64e15, max: 8.64e15 }).map((t) => new Date(t).toISOString()), weight: 1 },
  { arbitrary: fc.double().map(String), weight: 1 },
  { arbitrary: cursor, weight: 2 },
);

const pathValue = fc.oneof(
  { arbitrary: fc.constantFrom('wq-1', 'bin-1', 'A7K2M9QXR', 'sub-1'), weight: 2 },
  { arbitrary: value, weight: 3 },
);

const bodyValue = fc.oneof(
  value,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(value, { maxLength: 3 }),
);

const body = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        by: bodyValue,
        comment: bodyValue,
        until: fc.oneof(bodyValue, fc.constant(START + 60 * MIN), fc.constant(9e15), fc.constant(-9e15)),
        reason: bodyValue,
        on: fc.oneof(fc.boolean(), bodyValue),
        phone: fc.oneof(fc.constant('+8613800000001'), bodyValue),
        audience: fc.oneof(fc.constant('operators'), bodyValue),
        siteIds: fc.oneof(fc.constant(['plant-test']), fc.array(value, { maxLength: 3 })),
        townships: fc.array(value, { maxLength: 2 }),
        minSeverity: fc.oneof(fc.constant('warning'), bodyValue),
        lang: fc.oneof(fc.constant('zh'), bodyValue),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);

describe('API under arbitrary input (dynalite)', () => {
  let h: Harness;
  let handler: ReturnType<typeof buildApiHandler>;
  let dlqDir: string;

  beforeAll(async () => {
    h = await startHarness([outlet, bin], START);
    // Real data behind the routes: readings, an open alarm (chlorine loss) and a quarantined message.
    for (const [i, chlorine] of [0.6, 0.1, 0.1, 0.08].entries()) {
      h.clock.t = START + i * MIN + 1000;
      await h.ingest('wq-1', 'water', [
        { v: 1, ts: START + i * MIN, seq: i, m: { free_chlorine_mg_l: chlorine, ph: 7.2 } },
      ]);
    }
    await h.ingest('wq-1', 'water', ['not a telemetry message']);
    dlqDir = await makeTempDir();
    handler = buildApiHandler(apiDeps(h.service, fileDeadLetters(dlqDir)));
  });

  afterAll(async () => {
    await h?.stop();
    if (dlqDir) await removeTempDir(dlqDir);
  });

  for (const route of API_ROUTES) {
    const routeKey = `${route.method} ${route.path}`;
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    const known = QUERY_KEYS[routeKey] ?? [];
    // Mostly the route's own parameters (a cursor drawn from cursor shapes), sometimes unknown keys.
    const ownQuery = fc.record(
      Object.fromEntries(
        known.map((k) => [
          k,
          k === 'cursor' ? cursor : fc.oneof(value, fc.constantFrom(...(VALID[k] ?? ['x']))),
        ]),
      ) as Record<string, fc.Arbitrary<string>>,
      { requiredKeys: [] },
    );
    const anyQuery = fc.dictionary(
      fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', ...known)),
      value,
      { maxKeys: 4 },
    );
    const query = fc.oneof({ arbitrary: ownQuery, weight: 4 }, { arbitrary: anyQuery, weight: 1 });

    it(`${routeKey} answers every input below 500, with a message`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(...params.map(() => pathValue)),
          query,
          body,
          fc.boolean(),
          async (pathValues, query, rawBody, base64) => {
            const event = apiEvent(routeKey, {
              query: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<
                string,
                string
              >,
            });
            // Set directly: the values are what API Gateway hands over after decoding, lone surrogates included.
            if (params.length)
              event.pathParameters = Object.fromEntries(params.map((p, i) => [p, pathValues[i] as string]));
            if (route.method === 'POST') {
              event.body = base64 ? Buffer.from(rawBody).toString('base64') : rawBody;
              event.isBase64Encoded = base64;
            }
            const res = await handler(event, lambdaContext('api'));
            const status = res.statusCode ?? 0;
            const parsed = JSON.parse(res.body ?? 'null') as { message?: unknown } | null;
            expect(status, `${routeKey} ${JSON.stringify({ pathValues, query })} → ${res.body}`).toBeLessThan(
              500,
            );
            if (status >= 400)
              expect(typeof parsed?.message === 'string' && parsed.message.length > 0).toBe(true);
          },
        ),
        { numRuns: 120 },
      );
    });
  }
});
