import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SubscriptionRouteDeps, subscriptionRoutes } from '../../../functions/api/subscription-routes';
import { DomainError } from '../../../functions/core/errors';
import type { Subscription } from '../../../functions/core/subscription';
import {
  FakeSmsProvider,
  MemoryAuditLog,
  MemoryPhoneRoutes,
  MemorySubscriptionStore,
} from '../../helpers/subscriptions';

const NOW = Date.UTC(2025, 10, 28, 4, 0);

const CLAIMS = { sub: 'u-42', 'cognito:username': 'amina', 'cognito:groups': '[operator]' };

function event(
  routeKey: string,
  init: { body?: unknown; query?: Record<string, string>; id?: string; claims?: Record<string, string> } = {},
) {
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
      authorizer: { jwt: { claims: init.claims ?? CLAIMS, scopes: null } },
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
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
  let provider: FakeSmsProvider;
  let phoneRoutes: MemoryPhoneRoutes;
  let audit: MemoryAuditLog;
  let deps: SubscriptionRouteDeps;
  let n: number;

  beforeEach(() => {
    store = new MemorySubscriptionStore();
    provider = new FakeSmsProvider();
    phoneRoutes = new MemoryPhoneRoutes();
    audit = new MemoryAuditLog();
    n = 0;
    deps = {
      subscriptions: store,
      channel: provider,
      phoneRoutes,
      audit,
      clock: { now: () => NOW },
      guards: { allowedCountryCodes: ['86'], maxPhones: 200 },
      newId: () => `sub-${++n}`,
    };
  });

  it('creates a subscription with defaults, registers the phone with the provider and keeps its handle per phone', async () => {
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
    };
    expect(res).toEqual({ status: 201, body: expected });
    expect(store.items.get('sub-1')).toEqual(expected);
    expect(provider.calls).toEqual(['subscribe +8613800000001']);
    const policy = {
      audience: ['operators'],
      severity: ['warning', 'critical'],
      lang: ['zh'],
      siteId: ['plant-town'],
    };
    expect(provider.registrations.get('+8613800000001')?.policy).toEqual(policy);
    expect(phoneRoutes.items.get('+8613800000001')).toEqual({
      phone: '+8613800000001',
      providerRef: provider.registrations.get('+8613800000001')?.ref,
      filterPolicy: JSON.stringify(policy),
      updatedAt: '2025-11-28T04:00:00.000Z',
    });
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
    expect(provider.calls).toEqual([]);
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
    expect(provider.calls).toEqual(['subscribe +8613800000001']);
  });

  it('undoes the provider registration when the subscription cannot be stored', async () => {
    store.failPut = true;

    await expect(
      call(deps, event('POST /subscriptions', { body: { phone: '+8613800000001', audience: 'operators' } })),
    ).rejects.toThrow('table unavailable');

    expect(provider.calls).toEqual(['subscribe +8613800000001', 'unsubscribe +8613800000001']);
    expect(provider.registrations.size).toBe(0);
    expect(phoneRoutes.items.size).toBe(0);
    expect(audit.entries).toEqual([]);
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
    expect(provider.calls).toEqual(['subscribe +8613800000001', 'unsubscribe +8613800000001']);
    expect(phoneRoutes.items.size).toBe(0);
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
    provider.failUnroute = new Error('SNS unavailable');

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

  const post = (body: unknown, claims?: Record<string, string>) =>
    call(deps, event('POST /subscriptions', { body, claims }));

  it('gives a phone with two subscriptions one SNS registration with the union policy, updated and removed in place', async () => {
    const phone = '+8613800000001';
    await post({ phone, audience: 'operators', siteIds: ['plant-town'] });
    await post({ phone, audience: 'supervisors', minSeverity: 'critical', lang: 'en' });

    expect(provider.calls).toEqual([`subscribe ${phone}`, `set ${phone}`]);
    expect(provider.registrations.size).toBe(1);
    expect(provider.registrations.get(phone)?.policy).toEqual({
      $or: [
        { audience: ['operators'], severity: ['warning', 'critical'], lang: ['zh'], siteId: ['plant-town'] },
        { audience: ['supervisors'], severity: ['critical'], lang: ['en'] },
      ],
    });
    expect([...phoneRoutes.items.keys()]).toEqual([phone]);
    const ref = provider.registrations.get(phone)?.ref;

    expect(await call(deps, event('DELETE /subscriptions/{id}', { id: 'sub-1' }))).toEqual({
      status: 204,
      body: undefined,
    });
    expect(provider.registrations.get(phone)).toEqual({
      ref,
      policy: { audience: ['supervisors'], severity: ['critical'], lang: ['en'] },
    });
    expect(JSON.parse(phoneRoutes.items.get(phone)?.filterPolicy ?? '')).toEqual({
      audience: ['supervisors'],
      severity: ['critical'],
      lang: ['en'],
    });

    await call(deps, event('DELETE /subscriptions/{id}', { id: 'sub-2' }));
    expect(provider.calls).toEqual([
      `subscribe ${phone}`,
      `set ${phone}`,
      `set ${phone}`,
      `unsubscribe ${phone}`,
    ]);
    expect(provider.registrations.size).toBe(0);
    expect(phoneRoutes.items.size).toBe(0);
    expect((await call(deps, event('GET /subscriptions'))).body.items).toEqual([]);
  });

  it('changes scope, severity and language with PATCH, and the SNS filter policy with them', async () => {
    await post({
      phone: '+8613800000001',
      audience: 'operators',
      siteIds: ['plant-town'],
      name: 'Night shift',
    });

    const res = await call(
      deps,
      event('PATCH /subscriptions/{id}', {
        id: 'sub-1',
        body: { siteIds: null, townships: ['Dabudar'], minSeverity: 'critical', lang: 'en', name: null },
      }),
    );

    const after = {
      subscriptionId: 'sub-1',
      phone: '+8613800000001',
      audience: 'operators',
      townships: ['Dabudar'],
      minSeverity: 'critical',
      lang: 'en',
      createdAt: '2025-11-28T04:00:00.000Z',
      source: 'api',
    };
    expect(res).toEqual({ status: 200, body: after });
    expect(store.items.get('sub-1')).toEqual(after);
    expect(provider.registrations.get('+8613800000001')?.policy).toEqual({
      audience: ['operators'],
      severity: ['critical'],
      lang: ['en'],
      township: ['Dabudar'],
    });
    expect(provider.calls).toEqual(['subscribe +8613800000001', 'set +8613800000001']);
    expect(audit.entries.map((e) => e.action)).toEqual(['create', 'update']);
    expect(audit.entries[1]).toMatchObject({
      before: { siteIds: ['plant-town'], name: 'Night shift' },
      after,
    });
  });

  it('answers PATCH without a change with the subscription, and refuses a new phone, an unknown id and bad fields', async () => {
    await post({ phone: '+8613800000001', audience: 'operators' });
    const patch = (id: string, body: unknown) => call(deps, event('PATCH /subscriptions/{id}', { id, body }));

    expect((await patch('sub-1', { lang: 'zh' })).status).toBe(200);
    expect(audit.entries).toHaveLength(1);
    expect(provider.calls).toHaveLength(1);

    const phone = await patch('sub-1', { phone: '+8613800000009' });
    expect(phone.status).toBe(400);
    expect(phone.body.message).toMatch(
      /^body phone: cannot change: create a subscription for the new number/,
    );
    expect(await patch('sub-9', { lang: 'en' })).toEqual({
      status: 404,
      body: { message: 'subscription sub-9 does not exist; GET /subscriptions lists them' },
    });
    const bad = await patch('sub-1', { minSeverity: 'high' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^body minSeverity: "high" is not a severity/);
  });

  it('refuses a number outside the allowed countries with a 400 naming them, before calling SNS', async () => {
    const res = await post({ phone: '+12025550143', audience: 'operators' });
    deps.guards = { allowedCountryCodes: ['86', '852'], maxPhones: 200 };
    const two = await post({ phone: '+447700900123', audience: 'operators' });
    const hongKong = await post({ phone: '+85291234567', audience: 'operators' });

    expect(res).toEqual({
      status: 400,
      body: {
        message:
          'body phone: +12025550143 is outside the countries SMS may go to (+86); SMS_ALLOWED_COUNTRY_CODES sets them',
      },
    });
    expect(two.body.message).toContain('(+86, +852)');
    expect(hongKong.status).toBe(201);
    expect(provider.calls).toEqual(['subscribe +85291234567']);
  });

  it('bounds the distinct phones, while a known phone may add subscriptions', async () => {
    deps.guards = { allowedCountryCodes: ['86'], maxPhones: 2 };
    await post({ phone: '+8613800000001', audience: 'operators' });
    await post({ phone: '+8613800000002', audience: 'operators' });

    const third = await post({ phone: '+8613800000003', audience: 'operators' });
    const again = await post({ phone: '+8613800000002', audience: 'engineers' });

    expect(third).toEqual({
      status: 409,
      body: {
        message:
          '2 phones already receive SMS and SMS_MAX_PHONES allows 2; remove the subscriptions of a phone that no longer needs them, or raise the setting',
      },
    });
    expect(again.status).toBe(201);
    expect(provider.registrations.size).toBe(2);
  });

  it("refuses with 409, before SNS, a subscription whose union with the phone's others exceeds 150 combinations", async () => {
    const sites = (k: number, from = 0) => Array.from({ length: k }, (_, i) => `site-${from + i}`);
    const phone = '+8613800000001';
    expect((await post({ phone, audience: 'operators', siteIds: sites(70) })).status).toBe(201);
    expect((await post({ phone, audience: 'engineers' })).status).toBe(201);

    const res = await post({ phone, audience: 'sanitation', siteIds: sites(5, 70) });

    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(
      /^\+8613800000001's 3 subscriptions together need 152 filter combinations, SNS allows 150 in its one SNS subscription/,
    );
    expect(provider.calls).toEqual([`subscribe ${phone}`, `set ${phone}`]);
    expect(store.items.size).toBe(2);
  });

  it('audits every change with the actor from the token, never from the body, paged newest first', async () => {
    await post({ phone: '+8613800000001', audience: 'operators' });
    await call(
      deps,
      event('DELETE /subscriptions/{id}', {
        id: 'sub-1',
        claims: { sub: 'u-7', email: 'li@example.cn', 'cognito:groups': '[admin]' },
      }),
    );

    const first = await call(deps, event('GET /subscriptions/audit', { query: { limit: '1' } }));
    const second = await call(
      deps,
      event('GET /subscriptions/audit', { query: { limit: '1', cursor: first.body.nextCursor } }),
    );
    const bad = await call(deps, event('GET /subscriptions/audit', { query: { limit: '0' } }));

    expect(first.body.items).toEqual([
      {
        at: '2025-11-28T04:00:00.000Z',
        actor: { id: 'u-7', name: 'li@example.cn', role: 'admin' },
        action: 'delete',
        subscriptionId: 'sub-1',
        phone: '+8613800000001',
        before: expect.objectContaining({ subscriptionId: 'sub-1' }),
      },
    ]);
    expect(second.body).toEqual({
      items: [
        expect.objectContaining({
          action: 'create',
          actor: { id: 'u-42', name: 'amina', role: 'operator' },
          after: expect.objectContaining({ subscriptionId: 'sub-1' }),
        }),
      ],
    });
    expect(second.body.items[0].before).toBeUndefined();
    expect(bad).toEqual({
      status: 400,
      body: { message: 'query parameter limit: must be a whole number from 1 to 200' },
    });
  });
});
