import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SubscriptionRouteDeps, subscriptionRoutes } from '../../../functions/api/subscription-routes';
import { DomainError } from '../../../functions/core/errors';
import type { Subscription } from '../../../functions/core/subscription';
import type { SubscriptionFilter, SubscriptionStore } from '../../../functions/ports/subscription-store';

const NOW = Date.UTC(2025, 10, 28, 4, 0);

class MemorySubscriptionStore implements SubscriptionStore {
  readonly items = new Map<string, Subscription>();
  failPut = false;
  async put(sub: Subscription) {
    if (this.failPut) throw new Error('table unavailable');
    this.items.set(sub.subscriptionId, sub);
  }
  async get(id: string) {
    return this.items.get(id);
  }
  async list(filter: SubscriptionFilter = {}) {
    return [...this.items.values()].filter(
      (s) =>
        (filter.audience === undefined || s.audience === filter.audience) &&
        (filter.siteId === undefined || (s.siteIds ?? []).includes(filter.siteId)) &&
        (filter.township === undefined || (s.townships ?? []).includes(filter.township)),
    );
  }
  async delete(id: string) {
    return this.items.delete(id);
  }
}

function event(routeKey: string, init: { body?: unknown; query?: Record<string, string>; id?: string } = {}) {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const rawPath = init.id === undefined ? path : path.replace('{id}', init.id);
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(init.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    queryStringParameters: init.query,
    pathParameters: init.id === undefined ? undefined : { id: init.id },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: new Date(NOW).toUTCString(),
      timeEpoch: NOW,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    isBase64Encoded: false,
  } satisfies APIGatewayProxyEventV2;
}

/** Runs a route and maps a DomainError the way the API's error middleware does. */
async function call(deps: SubscriptionRouteDeps, e: APIGatewayProxyEventV2) {
  const route = subscriptionRoutes[e.routeKey];
  if (!route) throw new Error(`no route ${e.routeKey}`);
  try {
    const result = await route(e, deps);
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
  } catch (err) {
    if (err instanceof DomainError && err.status < 500)
      return { status: err.status, body: { message: err.message } };
    throw err;
  }
}

describe('subscription routes', () => {
  let store: MemorySubscriptionStore;
  let channel: { subscribed: Subscription[]; unsubscribed: string[] } & SubscriptionRouteDeps['channel'];
  let deps: SubscriptionRouteDeps;
  let n: number;

  beforeEach(() => {
    store = new MemorySubscriptionStore();
    channel = {
      subscribed: [],
      unsubscribed: [],
      async subscribe(sub) {
        this.subscribed.push(sub);
        return `arn:aws:sns:us-east-1:123456789012:alarms:${sub.subscriptionId}`;
      },
      async unsubscribe(ref) {
        this.unsubscribed.push(ref);
      },
    };
    n = 0;
    deps = { subscriptions: store, channel, clock: { now: () => NOW }, newId: () => `sub-${++n}` };
  });

  it('creates a subscription with defaults, registers it with the provider and stores the reference', async () => {
    const res = await call(
      deps,
      event('POST /subscriptions', {
        body: {
          phone: '+86 138 0000 0001',
          audience: 'operators',
          siteIds: ['plant-town'],
          name: 'Night shift',
        },
      }),
    );

    const expected = {
      subscriptionId: 'sub-1',
      phone: '+8613800000001',
      audience: 'operators',
      siteIds: ['plant-town'],
      minSeverity: 'warning',
      lang: 'zh',
      name: 'Night shift',
      createdAt: '2025-11-28T04:00:00.000Z',
      source: 'api',
      providerRef: 'arn:aws:sns:us-east-1:123456789012:alarms:sub-1',
    };
    expect(res).toEqual({ status: 201, body: expected });
    expect(store.items.get('sub-1')).toEqual(expected);
    expect(channel.subscribed.map((s) => s.phone)).toEqual(['+8613800000001']);
  });

  it.each([
    [{ phone: '138 0000 0001', audience: 'operators' }, /^body phone: must be an E\.164 phone number/],
    [
      { phone: '+8613800000001', audience: 'plumbers' },
      /^body audience: "plumbers" is not an audience; use one of/,
    ],
    [
      { phone: '+8613800000001', audience: 'operators', minSeverity: 'high' },
      /^body minSeverity: "high" is not a severity; use one of warning, critical, sensor_fault, device$/,
    ],
    [{ phone: '+8613800000001', audience: 'operators', lang: 'ug' }, /^body lang: "ug" is not a language/],
    [
      { phone: '+8613800000001', audience: 'operators', sites: ['x'] },
      /^body \(root\): Unrecognized key: "sites"$/,
    ],
  ])('answers 400 naming the field for %j', async (body, message) => {
    const res = await call(deps, event('POST /subscriptions', { body }));

    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(channel.subscribed).toEqual([]);
    expect(store.items.size).toBe(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const e = { ...event('POST /subscriptions'), body: '{phone:' };
    const res = await call(deps, e);
    expect(res).toEqual({
      status: 400,
      body: { message: expect.stringMatching(/^request body is not JSON/) },
    });
  });

  it('refuses sites and townships without registered devices when it can ask the registry', async () => {
    deps.registry = {
      list: async (filter = {}) =>
        filter.siteId === 'plant-town' || filter.township === 'Dabudar' ? [{} as never] : [],
    };

    const res = await call(
      deps,
      event('POST /subscriptions', {
        body: {
          phone: '+8613800000001',
          audience: 'operators',
          siteIds: ['plant-town', 'plant-twon'],
          townships: ['Dabudar', 'Atlantis'],
        },
      }),
    );

    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'body siteIds: no device is registered at site "plant-twon"; body townships: no device is registered in township "Atlantis"; GET /devices lists sites and townships',
    );
  });

  it('answers 409 instead of sending every SMS twice to the same phone', async () => {
    await call(
      deps,
      event('POST /subscriptions', { body: { phone: '+8613800000001', audience: 'operators' } }),
    );

    const res = await call(
      deps,
      event('POST /subscriptions', {
        body: { phone: '+8613800000001', audience: 'operators', siteIds: ['plant-town'] },
      }),
    );

    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(
      /already receives operators alarms in zh .* subscription sub-1; DELETE \/subscriptions\/sub-1/,
    );
    expect(channel.subscribed).toHaveLength(1);
  });

  it('undoes the provider registration when the subscription cannot be stored', async () => {
    store.failPut = true;

    await expect(
      call(deps, event('POST /subscriptions', { body: { phone: '+8613800000001', audience: 'operators' } })),
    ).rejects.toThrow('table unavailable');

    expect(channel.unsubscribed).toEqual(['arn:aws:sns:us-east-1:123456789012:alarms:sub-1']);
  });

  it('lists subscriptions, filtered by audience and site', async () => {
    const post = (body: unknown) => call(deps, event('POST /subscriptions', { body }));
    await post({ phone: '+8613800000001', audience: 'operators', siteIds: ['plant-town'] });
    await post({ phone: '+8613800000002', audience: 'operators', siteIds: ['plant-dabudar'] });
    await post({ phone: '+8613800000003', audience: 'engineers', minSeverity: 'device' });

    const all = await call(deps, event('GET /subscriptions'));
    const operators = await call(deps, event('GET /subscriptions', { query: { audience: 'operators' } }));
    const town = await call(deps, event('GET /subscriptions', { query: { siteId: 'plant-town' } }));
    const bad = await call(deps, event('GET /subscriptions', { query: { audience: 'mayors' } }));

    expect(all.body.items).toHaveLength(3);
    expect(operators.body.items.map((s: Subscription) => s.subscriptionId)).toEqual(['sub-1', 'sub-2']);
    expect(town.body.items.map((s: Subscription) => s.subscriptionId)).toEqual(['sub-1']);
    expect(bad).toEqual({
      status: 400,
      body: {
        message: 'query parameter audience: must be one of operators, engineers, sanitation, supervisors',
      },
    });
  });

  it('deletes a subscription and its provider registration, and answers 404 for an unknown one', async () => {
    await call(
      deps,
      event('POST /subscriptions', { body: { phone: '+8613800000001', audience: 'operators' } }),
    );

    const deleted = await call(deps, event('DELETE /subscriptions/{id}', { id: 'sub-1' }));
    const again = await call(deps, event('DELETE /subscriptions/{id}', { id: 'sub-1' }));

    expect(deleted).toEqual({ status: 204, body: undefined });
    expect(store.items.size).toBe(0);
    expect(channel.unsubscribed).toEqual(['arn:aws:sns:us-east-1:123456789012:alarms:sub-1']);
    expect(again).toEqual({
      status: 404,
      body: { message: 'subscription sub-1 does not exist; GET /subscriptions lists them' },
    });
  });

  it('keeps the subscription when the provider refuses to remove it, so the DELETE can be retried', async () => {
    await call(
      deps,
      event('POST /subscriptions', { body: { phone: '+8613800000001', audience: 'operators' } }),
    );
    channel.unsubscribe = async () => {
      throw new Error('SNS unavailable');
    };

    await expect(call(deps, event('DELETE /subscriptions/{id}', { id: 'sub-1' }))).rejects.toThrow(
      'SNS unavailable',
    );

    expect(store.items.has('sub-1')).toBe(true);
  });

  it('generates ids when none are injected', async () => {
    const { newId: _n, ...plain } = deps;
    const res = await call(
      plain,
      event('POST /subscriptions', { body: { phone: '+8613800000001', audience: 'operators' } }),
    );
    expect(res.body.subscriptionId).toMatch(/^sub-[0-9a-f-]{36}$/);
  });
});
