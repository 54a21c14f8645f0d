import '../../helpers/quiet-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routes } from '../../../functions/api/routes';
import { toReadingItem } from '../../../functions/core/reading-item';
import { buildApiHandler } from '../../../functions/handlers/api-handler';
import type { QuarantineEntry } from '../../../functions/ports/quarantine-store';
import { logger } from '../../../functions/shared/logger';
import { apiEvent, lambdaContext } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { binDevice, HOUR, MINUTE, sample, T0, waterDevice } from '../../helpers/telemetry';

type Body = Record<string, unknown> & { message?: string; items?: Record<string, unknown>[] };

function setup() {
  const registry = new InMemoryDeviceRegistry([waterDevice('wq-1'), waterDevice('wq-2'), binDevice('bin-1')]);
  const readings = new InMemoryReadingStore();
  const quarantine = new InMemoryQuarantineStore();
  const deps = { registry, readings, quarantine, clock: fixedClock(T0 + HOUR) };
  // Only the reading routes are under test here; the alarm and subscription routes have their own deps.
  const handler = buildApiHandler(deps as unknown as Parameters<typeof buildApiHandler>[0], routes);
  const call = async (routeKey: string, options: Parameters<typeof apiEvent>[1] = {}) => {
    const result = await handler(apiEvent(routeKey, options), lambdaContext('api'));
    return {
      status: result.statusCode,
      body: JSON.parse(result.body ?? 'null') as Body,
      headers: result.headers,
    };
  };
  return { registry, readings, quarantine, call };
}

afterEach(() => vi.restoreAllMocks());

describe('API handler', () => {
  it('GET /devices lists the registered devices as JSON', async () => {
    const { call } = setup();

    const res = await call('GET /devices');

    expect(res.status).toBe(200);
    expect(res.headers?.['content-type']).toContain('application/json');
    expect(res.body.items?.map((d) => d.id)).toEqual(['wq-1', 'wq-2', 'bin-1']);
  });

  it('GET /devices?kind=bin lists only bins', async () => {
    const { call } = setup();

    const res = await call('GET /devices', { query: { kind: 'bin' } });

    expect(res.body.items?.map((d) => d.id)).toEqual(['bin-1']);
  });

  it('GET /devices/{id} returns the device with its site', async () => {
    const { call } = setup();

    const res = await call('GET /devices/{id}', { pathParameters: { id: 'wq-1' } });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'wq-1', kind: 'water', siteName: 'Test plant' });
  });

  it('GET /devices/{id} answers 404 for an unknown device and says where to look', async () => {
    const { call } = setup();

    const res = await call('GET /devices/{id}', { pathParameters: { id: 'nobody' } });

    expect(res.status).toBe(404);
    expect(res.body.message).toContain('GET /devices');
  });

  it('GET /devices/{id}/readings returns the last day in time order with ISO times', async () => {
    const { call, readings } = setup();
    await readings.putItems([
      toReadingItem('wq-1', sample(T0 + 2 * MINUTE, 3), T0, 400),
      toReadingItem('wq-1', sample(T0, 1), T0, 400),
      toReadingItem('wq-1', sample(T0 - 2 * 24 * HOUR, 0), T0, 400),
    ]);

    const res = await call('GET /devices/{id}/readings', { pathParameters: { id: 'wq-1' } });

    expect(res.status).toBe(200);
    expect(res.body.items?.map((i) => i.seq)).toEqual([1, 3]);
    expect(res.body.items?.[0]?.time).toBe('2025-11-28T10:00:00.000Z');
  });

  it('GET /devices/{id}/readings passes from, to, limit, metric, order and cursor to the store', async () => {
    const { call, readings } = setup();
    const query = vi.spyOn(readings, 'query');

    await call('GET /devices/{id}/readings', {
      pathParameters: { id: 'wq-1' },
      query: {
        from: '2025-11-28T09:00:00Z',
        to: String(T0),
        limit: '5',
        metric: 'ph',
        order: 'desc',
        cursor: 'abc',
      },
    });

    expect(query).toHaveBeenCalledWith({
      deviceId: 'wq-1',
      from: T0 - HOUR,
      to: T0,
      limit: 5,
      metric: 'ph',
      cursor: 'abc',
      newestFirst: true,
    });
  });

  it.each([
    ['limit=0', { limit: '0' }, 'limit'],
    ['limit=1001', { limit: '1001' }, 'limit'],
    ['from=garbage', { from: 'garbage' }, 'from'],
    ['an unknown parameter', { since: '1h' }, 'since'],
    ['a metric that is not a metric name', { metric: 'pH value' }, 'metric'],
    ['from after to', { from: String(T0), to: String(T0 - 1) }, 'from must not be after to'],
  ])('GET /devices/{id}/readings answers 400 for %s, naming what to fix', async (_, query, named) => {
    const { call } = setup();

    const res = await call('GET /devices/{id}/readings', { pathParameters: { id: 'wq-1' }, query });

    expect(res.status).toBe(400);
    expect(res.body.message).toContain(named);
  });

  it('GET /devices/{id}/readings answers 404 for an unknown device', async () => {
    const { call } = setup();

    const res = await call('GET /devices/{id}/readings', { pathParameters: { id: 'nobody' } });

    expect(res.status).toBe(404);
  });

  it('GET /devices/{id}/latest returns the newest sample by timestamp', async () => {
    const { call, readings } = setup();
    await readings.putItems([
      toReadingItem('wq-1', sample(T0 + MINUTE, 2), T0, 400),
      toReadingItem('wq-1', sample(T0, 1), T0 + HOUR, 400),
    ]);

    const res = await call('GET /devices/{id}/latest', { pathParameters: { id: 'wq-1' } });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: 'wq-1', seq: 2, ts: T0 + MINUTE });
  });

  it('GET /devices/{id}/latest answers 404 for a device without readings', async () => {
    const { call } = setup();

    const res = await call('GET /devices/{id}/latest', { pathParameters: { id: 'wq-2' } });

    expect(res.status).toBe(404);
    expect(res.body.message).toContain('no readings');
  });

  it('GET /quarantine lists entries with reason, message and the payload as text and base64', async () => {
    const { call, quarantine } = setup();
    const entry: QuarantineEntry = {
      id: 'q1',
      receivedAt: T0,
      topic: 'dt/water/wq-1',
      clientId: 'wq-1',
      deviceId: 'wq-1',
      reason: 'not_json',
      message: 'payload is not UTF-8 JSON',
      payload: Buffer.from('{"v":1,'),
    };
    await quarantine.put([entry]);

    const res = await call('GET /quarantine');

    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        id: 'q1',
        reason: 'not_json',
        at: '2025-11-28T10:00:00.000Z',
        payloadText: '{"v":1,',
        payloadBase64: Buffer.from('{"v":1,').toString('base64'),
      }),
    ]);
  });

  it('GET /quarantine says when the payload is a prefix, with the whole length and hash, and pages', async () => {
    const { call, quarantine } = setup();
    const base = { topic: 'dt/water/wq-1', deviceId: 'wq-1', message: 'm' };
    await quarantine.put([
      {
        ...base,
        id: 'big',
        receivedAt: T0,
        reason: 'oversize',
        payload: Buffer.alloc(8192, 'x'),
        payloadBytes: 50_000,
        payloadSha256: 'f'.repeat(64),
      },
      { ...base, id: 'small', receivedAt: T0 + 1, reason: 'not_json', payload: Buffer.from('x') },
    ]);

    const first = await call('GET /quarantine', { query: { limit: '1' } });
    const second = await call('GET /quarantine', {
      query: { limit: '1', cursor: String(first.body.nextCursor) },
    });
    const oversize = await call('GET /quarantine', { query: { reason: 'oversize' } });

    expect(first.body.items?.map((i) => [i.id, i.truncated, i.payloadBytes])).toEqual([['small', false, 1]]);
    expect(second.body.items?.[0]).toMatchObject({
      id: 'big',
      truncated: true,
      payloadBytes: 50_000,
      payloadSha256: 'f'.repeat(64),
    });
    expect(oversize.body.items?.map((i) => i.id)).toEqual(['big']);
  });

  it.each([
    ['a malformed id (API Gateway already decoded it)', 'GET /devices/{id}', { id: '%ZZ' }, {}, /device ids/],
    ['a 10,000-character id', 'GET /devices/{id}/latest', { id: 'a'.repeat(10_000) }, {}, /device ids/],
    [
      'to past the Date range',
      'GET /devices/{id}/readings',
      { id: 'wq-1' },
      { to: '9999999999999999' },
      /to: must lie/,
    ],
    ['an unknown reason shape', 'GET /quarantine', {}, { reason: 'Not JSON' }, /reason/],
    ['an over-long cursor', 'GET /quarantine', {}, { cursor: 'c'.repeat(3000) }, /cursor/],
  ])('answers 400 for %s, saying what to fix', async (_, routeKey, pathParameters, query, message) => {
    const { call } = setup();

    const res = await call(routeKey, { pathParameters, query });

    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('GET /quarantine answers 400 for limit=0', async () => {
    const { call } = setup();

    const res = await call('GET /quarantine', { query: { limit: '0' } });

    expect(res.status).toBe(400);
    expect(res.body.message).toContain('limit');
  });

  it('answers 404 for a route key it does not serve', async () => {
    const { call } = setup();

    const res = await call('GET /nothing-here');

    expect(res.status).toBe(404);
    expect(res.body.message).toContain('GET /nothing-here');
  });

  it('answers 500 without the internal detail and logs the detail', async () => {
    const { call, registry } = setup();
    vi.spyOn(registry, 'list').mockRejectedValue(
      new Error('connect ECONNREFUSED 10.0.0.12:8000 table pamir-devices'),
    );
    const logged = vi.spyOn(logger, 'error');

    const res = await call('GET /devices');

    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|pamir-devices/);
    expect(logged).toHaveBeenCalledWith(
      'request failed',
      expect.objectContaining({ error: expect.any(Error) }),
    );
  });
});
