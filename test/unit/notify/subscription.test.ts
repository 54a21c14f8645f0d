import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIENCES, type Notification, SEVERITIES } from '../../../functions/core/alarm-types';
import { parseFleet } from '../../../functions/core/registry';
import {
  fleetSubscriptionId,
  loadFleetSubscriptions,
  newSubscription,
  overlappingSubscription,
  planFleetSync,
  type SnsFilterPolicy,
  type Subscription,
  snsFilterPolicy,
  subscriptionInputSchema,
  subscriptionMatches,
} from '../../../functions/core/subscription';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../../../infra/fleet/read-fleet';

const NOW = Date.UTC(2025, 10, 28, 4, 0);

/** The part of SNS filter-policy semantics our policies use: exact string matches, keys ANDed, `$or` of branches. */
function snsAccepts(policy: SnsFilterPolicy, attributes: Record<string, string>): boolean {
  return Object.entries(policy).every(([key, rule]) => {
    if (key === '$or') return (rule as SnsFilterPolicy[]).some((branch) => snsAccepts(branch, attributes));
    const value = attributes[key];
    return value !== undefined && (rule as string[]).includes(value);
  });
}

function sub(overrides: Partial<Subscription> = {}): Subscription {
  return {
    subscriptionId: 'sub-1',
    phone: '+8613800000001',
    audience: 'operators',
    minSeverity: 'warning',
    lang: 'zh',
    createdAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    audience: 'operators',
    severity: 'critical',
    siteId: 'plant-town',
    township: 'Tashkurgan Town',
    deviceId: 'wq-town-outlet',
    alarmId: 'A7K2M9QXR',
    kind: 'raised',
    text: { zh: '…', en: '…' },
    ...overrides,
  };
}

describe('subscription matching and SNS filter policy', () => {
  const subscriptions: [string, Subscription][] = [
    ['county-wide operators from warning', sub()],
    ['operators of two sites', sub({ siteIds: ['plant-town', 'net-town'] })],
    ['operators of a township', sub({ townships: ['Dabudar'] })],
    ['operators of a site or a township', sub({ siteIds: ['plant-town'], townships: ['Tiznap'] })],
    ['engineers from device', sub({ audience: 'engineers', minSeverity: 'device', lang: 'en' })],
    ['supervisors, critical only', sub({ audience: 'supervisors', minSeverity: 'critical' })],
    ['sanitation, sensor faults and up', sub({ audience: 'sanitation', minSeverity: 'sensor_fault' })],
  ];
  const places = [
    { siteId: 'plant-town', township: 'Tashkurgan Town' },
    { siteId: 'net-town', township: 'Tashkurgan Town' },
    { siteId: 'plant-dabudar', township: 'Dabudar' },
    { siteId: 'tap-tiznap', township: 'Tiznap' },
  ];

  for (const [label, s] of subscriptions)
    it(`agree for ${label} on every audience, severity and place`, () => {
      const policy = snsFilterPolicy(s);
      let matched = 0;
      for (const audience of AUDIENCES)
        for (const severity of SEVERITIES)
          for (const place of places) {
            const n = notification({ audience, severity, ...place });
            const expected = subscriptionMatches(s, n);
            if (expected) matched++;
            // The notifier publishes once per language; the filter must pick exactly the subscriber's one.
            for (const lang of ['zh', 'en'] as const) {
              const attributes = {
                audience,
                severity,
                lang,
                kind: n.kind,
                deviceId: n.deviceId,
                alarmId: n.alarmId,
                ...place,
              };
              expect(snsAccepts(policy, attributes), `${audience} ${severity} ${place.siteId} ${lang}`).toBe(
                expected && lang === s.lang,
              );
            }
          }
      expect(matched).toBeGreaterThan(0);
    });

  it('delivers a severity at or above the minimum only', () => {
    const s = sub({ minSeverity: 'warning' });
    expect(subscriptionMatches(s, notification({ severity: 'critical' }))).toBe(true);
    expect(subscriptionMatches(s, notification({ severity: 'warning' }))).toBe(true);
    expect(subscriptionMatches(s, notification({ severity: 'sensor_fault' }))).toBe(false);
    expect(subscriptionMatches(s, notification({ severity: 'device' }))).toBe(false);
  });

  it('writes the policy SNS expects', () => {
    expect(snsFilterPolicy(sub({ siteIds: ['plant-town'], townships: ['Tiznap'], lang: 'en' }))).toEqual({
      audience: ['operators'],
      severity: ['warning', 'critical'],
      lang: ['en'],
      $or: [{ siteId: ['plant-town'] }, { township: ['Tiznap'] }],
    });
    expect(snsFilterPolicy(sub({ audience: 'engineers', minSeverity: 'device' }))).toEqual({
      audience: ['engineers'],
      severity: ['warning', 'critical', 'sensor_fault', 'device'],
      lang: ['zh'],
    });
    expect(snsFilterPolicy(sub({ townships: ['Dabudar'] })).township).toEqual(['Dabudar']);
  });
});

describe('subscription input', () => {
  const errors = (body: unknown) => {
    const parsed = subscriptionInputSchema.safeParse(body);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fills in minimum severity warning and Chinese', () => {
    const parsed = subscriptionInputSchema.parse({ phone: '+8613800000001', audience: 'operators' });
    expect(parsed).toEqual({
      phone: '+8613800000001',
      audience: 'operators',
      minSeverity: 'warning',
      lang: 'zh',
    });
  });

  it('accepts a number typed with spaces and dashes and stores it in E.164', () => {
    const parsed = subscriptionInputSchema.parse({ phone: ' +86 138-0000-0001 ', audience: 'engineers' });
    expect(parsed.phone).toBe('+8613800000001');
  });

  it.each([
    ['13800000001', 'no plus'],
    ['+0861380000000', 'country code starting with 0'],
    ['+86138000000012345', 'more than 15 digits'],
    ['+12345', 'fewer than 7 digits'],
    ['+86 138 0000 000a', 'a letter'],
  ])('refuses phone %s (%s), saying what E.164 is', (phone) => {
    expect(errors({ phone, audience: 'operators' })).toEqual([
      expect.stringMatching(/^phone: must be an E\.164 phone number/),
    ]);
  });

  it('names the unknown audience, severity and language and lists the valid ones', () => {
    expect(errors({ phone: '+8613800000001', audience: 'mayor', minSeverity: 'urgent', lang: 'fr' })).toEqual(
      [
        'audience: "mayor" is not an audience; use one of operators, engineers, sanitation, supervisors',
        'minSeverity: "urgent" is not a severity; use one of warning, critical, sensor_fault, device',
        'lang: "fr" is not a language; use one of zh, en',
      ],
    );
  });

  it('says what is missing and refuses unknown fields', () => {
    expect(errors({ audience: 'operators', site: 'plant-town' })).toEqual([
      expect.stringMatching(/^phone: is required/),
      expect.stringMatching(/Unrecognized key.*site/),
    ]);
    expect(errors({ phone: '+8613800000001' })).toEqual([
      'audience: is required: one of operators, engineers, sanitation, supervisors',
    ]);
  });

  it('refuses an empty scope list (omit it for the whole county)', () => {
    expect(errors({ phone: '+8613800000001', audience: 'operators', siteIds: [] })).toEqual([
      'siteIds: omit siteIds for the whole county; a list needs at least one site id',
    ]);
  });

  it('refuses a scope SNS could not filter (over 150 combinations)', () => {
    const siteIds = Array.from({ length: 40 }, (_, i) => `site-${i}`);
    expect(
      errors({ phone: '+8613800000001', audience: 'engineers', minSeverity: 'device', siteIds }),
    ).toEqual([expect.stringMatching(/^siteIds: too many sites and townships .*160 filter combinations/)]);
  });
});

describe('overlapping subscriptions', () => {
  const existing = [sub({ subscriptionId: 'a', siteIds: ['plant-town'] })];

  it('finds one that would send the same SMS to the same phone twice', () => {
    expect(
      overlappingSubscription(existing, sub({ siteIds: ['plant-town', 'net-town'] }))?.subscriptionId,
    ).toBe('a');
    expect(overlappingSubscription(existing, sub())?.subscriptionId).toBe('a');
  });

  it('lets the same phone follow other sites, another audience or another language', () => {
    expect(overlappingSubscription(existing, sub({ siteIds: ['net-town'] }))).toBeUndefined();
    expect(overlappingSubscription(existing, sub({ audience: 'engineers' }))).toBeUndefined();
    expect(overlappingSubscription(existing, sub({ lang: 'en' }))).toBeUndefined();
    expect(overlappingSubscription(existing, sub({ phone: '+8613800000002' }))).toBeUndefined();
  });
});

const exampleFleet = (await readFleetFile()).fleet;

describe('fleet subscriptions', () => {
  it('ships example subscriptions for every audience, with fake numbers said to be fake', () => {
    const subs = loadFleetSubscriptions(exampleFleet, NOW);

    expect(new Set(subs.map((s) => s.audience))).toEqual(new Set(AUDIENCES));
    expect(subs.some((s) => s.lang === 'en')).toBe(true);
    for (const entry of exampleFleet.subscriptions) expect(entry.note).toMatch(/fake/i);
  });

  it('gives every water site of the example county an operator', () => {
    const subs = loadFleetSubscriptions(exampleFleet, NOW);
    const waterSites = exampleFleet.devices.filter((d) => d.kind === 'water').map((d) => d.siteId);

    for (const siteId of waterSites) {
      const township = exampleFleet.sites.find((s) => s.id === siteId)?.township ?? '';
      const n = notification({ siteId, township, severity: 'critical' });
      expect(
        subs.filter((s) => s.lang === 'zh' && subscriptionMatches(s, n)),
        siteId,
      ).not.toHaveLength(0);
      expect(
        subs.filter((s) => subscriptionMatches(s, { ...n, audience: 'supervisors' })),
        siteId,
      ).not.toHaveLength(0);
    }
  });

  it('derives the same ids on every load, so reloading replaces instead of duplicating', () => {
    const first = loadFleetSubscriptions(exampleFleet, NOW).map((s) => s.subscriptionId);
    const second = loadFleetSubscriptions(exampleFleet, NOW + 86_400_000).map((s) => s.subscriptionId);

    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    expect(first.every((id) => /^fleet-[0-9a-f]{12}$/.test(id))).toBe(true);
  });

  it('refuses a fleet whose subscriptions name unknown sites or townships, or repeat an id', () => {
    const doc = JSON.parse(readFileSync(DEFAULT_FLEET_FILE, 'utf8'));
    doc.subscriptions = [
      { phone: '+8613800000001', audience: 'operators', siteIds: ['plant-nowhere'] },
      { phone: '+8613800000001', audience: 'operators', townships: ['Atlantis'] },
      { phone: '8613800000009', audience: 'operators' },
    ];

    expect(() => parseFleet(doc)).toThrow(
      /subscriptions\.0\.siteIds\.0: unknown site plant-nowhere[\s\S]*subscriptions\.1\.townships\.0: no site is in township "Atlantis"[\s\S]*subscriptions\.1\.id: same id .* as subscriptions\.0/,
    );
    expect(() => parseFleet(doc)).toThrow(/subscriptions\.2\.phone: must be an E\.164/);
  });

  it('lets a fleet without subscriptions load', () => {
    const doc = JSON.parse(readFileSync(DEFAULT_FLEET_FILE, 'utf8'));
    delete doc.subscriptions;
    expect(parseFleet(doc).subscriptions).toEqual([]);
  });

  it('keeps an explicit id', () => {
    expect(fleetSubscriptionId({ id: 'night-shift', phone: '+8613800000001', audience: 'operators' })).toBe(
      'night-shift',
    );
  });

  it('plans a sync that keeps creation times, removes fleet entries that left the file and spares API ones', () => {
    const fromFile = [sub({ subscriptionId: 'fleet-a', source: 'fleet', createdAt: 'later' })];
    const stored = [
      sub({ subscriptionId: 'fleet-a', source: 'fleet', createdAt: 'first' }),
      sub({ subscriptionId: 'fleet-gone', source: 'fleet' }),
      sub({ subscriptionId: 'sub-api', source: 'api' }),
    ];

    const plan = planFleetSync(stored, fromFile);

    expect(plan.put).toEqual([{ ...fromFile[0], createdAt: 'first' }]);
    expect(plan.remove.map((s) => s.subscriptionId)).toEqual(['fleet-gone']);
  });

  it('builds a stored subscription without duplicate scope entries', () => {
    const input = subscriptionInputSchema.parse({
      phone: '+8613800000001',
      audience: 'operators',
      siteIds: ['plant-town', 'plant-town'],
      name: 'Night shift',
    });
    expect(newSubscription(input, 'sub-x', NOW)).toEqual({
      subscriptionId: 'sub-x',
      phone: '+8613800000001',
      audience: 'operators',
      siteIds: ['plant-town'],
      minSeverity: 'warning',
      lang: 'zh',
      name: 'Night shift',
      createdAt: '2025-11-28T04:00:00.000Z',
      source: 'api',
    });
  });
});
