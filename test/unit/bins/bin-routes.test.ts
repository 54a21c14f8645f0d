import '../../helpers/quiet-logs';
import { describe, expect, it } from 'vitest';
import { binRoutes } from '../../../functions/api/bin-routes';
import { API_ROUTES } from '../../../functions/contract';
import { buildApiHandler, ROUTE_TABLE } from '../../../functions/handlers/api-handler';
import { apiEvent, lambdaContext } from '../../helpers/aws-events';
import { fixedClock, InMemoryDeviceRegistry, InMemoryReadingStore } from '../../helpers/fakes';
import { binDevice, T0, waterDevice } from '../../helpers/telemetry';
import { InMemoryBinEventStore } from './fakes';

function setup() {
  const binEvents = new InMemoryBinEventStore();
  const deps = {
    registry: new InMemoryDeviceRegistry([binDevice('bin-1'), waterDevice('wq-1')]),
    readings: new InMemoryReadingStore(),
    binEvents,
    clock: fixedClock(T0),
  };
  const handler = buildApiHandler(deps as unknown as Parameters<typeof buildApiHandler>[0], binRoutes);
  const call = async (routeKey: string, options: Parameters<typeof apiEvent>[1] = {}) => {
    const res = await handler(apiEvent(routeKey, options), lambdaContext('api'));
    return { status: res.statusCode, body: JSON.parse(res.body ?? 'null') as Record<string, unknown> };
  };
  return { binEvents, call };
}

describe('bin routes', () => {
  it('are served by the API function for exactly the routes of the wiring', () => {
    expect(Object.keys(ROUTE_TABLE).sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(Object.keys(binRoutes).sort()).toEqual(['GET /bins', 'GET /bins/collections', 'GET /bins/{id}']);
  });

  it('answers 404 for a device that is not a bin', async () => {
    const { call } = setup();
    expect((await call('GET /bins/{id}', { pathParameters: { id: 'wq-1' } })).status).toBe(404);
    expect((await call('GET /bins/{id}', { pathParameters: { id: 'nope' } })).body).toEqual({
      message: '"nope" is not a registered bin; GET /bins lists them',
    });
  });

  it('refuses a reversed or over-long report period and unknown parameters with a 400 saying why', async () => {
    const { call } = setup();
    const reversed = await call('GET /bins/collections', { query: { from: String(T0), to: String(T0 - 1) } });
    const long = await call('GET /bins/collections', { query: { from: '2024-01-01T00:00:00Z' } });
    const unknown = await call('GET /bins', { query: { within: 'PT6H' } });
    expect(reversed).toEqual({ status: 400, body: { message: 'query parameter from must not be after to' } });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/at most 366 days apart/);
    expect(unknown.status).toBe(400);
  });

  it('reports the current month (China time) by default, counting collections per waste stream', async () => {
    const { binEvents, call } = setup();
    const event = {
      township: 'Test Town',
      siteId: 'market-test',
      fromPct: 80,
      toPct: 5,
      seq: 1,
      receivedAt: 0,
    };
    await binEvents.putCollections([
      { ...event, binId: 'bin-1', ts: T0 - 3_600_000, fromTs: T0 - 4_000_000, wasteStream: 'residual' },
      { ...event, binId: 'bin-2', ts: T0 - 7_200_000, fromTs: T0 - 8_000_000, wasteStream: 'kitchen' },
      { ...event, binId: 'bin-1', ts: T0 - 40 * 86_400_000, fromTs: 0, wasteStream: 'residual' },
    ]);

    const res = await call('GET /bins/collections');

    // T0 is 2025-11-28T10:00Z: the month began 2025-11-01T00:00 China time.
    expect(res.body).toMatchObject({
      from: '2025-10-31T16:00:00.000Z',
      total: 2,
      byWasteStream: { residual: 1, kitchen: 1 },
      townships: [{ township: 'Test Town', collections: 2, bins: 2 }],
    });
  });
});
