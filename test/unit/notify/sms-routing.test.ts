import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDIENCES, LANGUAGES, type Notification, SEVERITIES } from '../../../functions/core/alarm-types';
import {
  filterPolicyCombinations,
  filterPolicyProblem,
  phoneFilterPolicy,
  routeNotification,
} from '../../../functions/core/sms-routing';
import {
  type SnsFilterPolicy,
  type Subscription,
  snsFilterPolicy,
} from '../../../functions/core/subscription';

/**
 * SNS filter-policy evaluation over message attributes, for the operators our policies use: exact string values
 * (any of the array), keys ANDed, `$or` (recognised with at least two branches) ORing its branches, each ANDed with
 * the rest of the policy. A key whose attribute is absent does not match.
 */
function snsAccepts(policy: SnsFilterPolicy, attributes: Record<string, string>): boolean {
  return Object.entries(policy).every(([key, rule]) => {
    if (key === '$or' && Array.isArray(rule) && rule.length >= 2 && typeof rule[0] === 'object')
      return (rule as SnsFilterPolicy[]).some((branch) => snsAccepts(branch, attributes));
    const value = attributes[key];
    return value !== undefined && (rule as string[]).includes(value);
  });
}

/** The attributes the SNS notifier publishes with, in one language (an empty township is left out, as SNS needs). */
function attributesOf(n: Notification, lang: string): Record<string, string> {
  const a: Record<string, string> = {
    audience: n.audience,
    severity: n.severity,
    siteId: n.siteId,
    kind: n.kind,
    lang,
    deviceId: n.deviceId,
    alarmId: n.alarmId,
  };
  if (n.township !== '') a.township = n.township;
  return a;
}

const PHONES = ['+8613800000001', '+8613800000002', '+8613800000003'];
const SITES = ['plant-town', 'net-town', 'plant-dabudar', 'tap-tiznap'];
const TOWNS = ['Tashkurgan Town', 'Dabudar', 'Tiznap'];

const subscriptionArb = fc.record({
  phone: fc.constantFrom(...PHONES),
  audience: fc.constantFrom(...AUDIENCES),
  minSeverity: fc.constantFrom(...SEVERITIES),
  lang: fc.constantFrom(...LANGUAGES),
  siteIds: fc.option(fc.uniqueArray(fc.constantFrom(...SITES), { minLength: 1 }), { nil: undefined }),
  townships: fc.option(fc.uniqueArray(fc.constantFrom(...TOWNS), { minLength: 1 }), { nil: undefined }),
});

const notificationArb = fc.record({
  audience: fc.constantFrom(...AUDIENCES),
  severity: fc.constantFrom(...SEVERITIES),
  siteId: fc.constantFrom(...SITES, 'elsewhere'),
  township: fc.constantFrom(...TOWNS, 'Nowhere', ''),
  kind: fc.constantFrom('raised' as const, 'cleared' as const),
});

type RawSubscription = typeof subscriptionArb extends fc.Arbitrary<infer T> ? T : never;

function toSubscriptions(raw: RawSubscription[]): Subscription[] {
  return raw.map((r, i) => {
    const s: Subscription = {
      subscriptionId: `sub-${i}`,
      phone: r.phone,
      audience: r.audience,
      minSeverity: r.minSeverity,
      lang: r.lang,
      createdAt: '2025-11-28T04:00:00.000Z',
    };
    if (r.siteIds) s.siteIds = r.siteIds;
    if (r.townships) s.townships = r.townships;
    return s;
  });
}

describe('SMS routing rule and the phone union filter policy', () => {
  it('agree: a phone gets a notification in a language exactly when its union policy accepts that message', () => {
    fc.assert(
      fc.property(fc.array(subscriptionArb, { maxLength: 8 }), notificationArb, (raw, partial) => {
        const subs = toSubscriptions(raw);
        const n: Notification = {
          ...partial,
          deviceId: 'wq-1',
          alarmId: 'A7K2M9QXR',
          text: { zh: '…', en: '…' },
        };
        const deliveries = routeNotification(subs, n);
        for (const phone of PHONES) {
          const policy = phoneFilterPolicy(subs.filter((s) => s.phone === phone));
          for (const lang of LANGUAGES) {
            const byRule = deliveries.some((d) => d.phone === phone && d.lang === lang);
            const bySns = policy !== undefined && snsAccepts(policy, attributesOf(n, lang));
            expect(bySns, `${phone} ${lang}`).toBe(byRule);
          }
        }
        // One SMS per phone and language, however many subscriptions match.
        const keys = deliveries.map((d) => `${d.phone} ${d.lang}`);
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 500 },
    );
  });

  it('counts the union as SNS does: the branches of an $or add up', () => {
    fc.assert(
      fc.property(fc.array(subscriptionArb, { minLength: 1, maxLength: 6 }), (raw) => {
        const subs = toSubscriptions(raw).map((s) => ({ ...s, phone: PHONES[0] as string }));
        const policy = phoneFilterPolicy(subs) as SnsFilterPolicy;
        const separately = subs.reduce((sum, s) => sum + filterPolicyCombinations(snsFilterPolicy(s)), 0);
        // Duplicate alternatives are dropped, so the union never counts more than its parts.
        expect(filterPolicyCombinations(policy)).toBeLessThanOrEqual(separately);
        expect(filterPolicyCombinations(policy)).toBeGreaterThan(0);
      }),
    );
    // The documented example: 5 × 2 + 5 × 1 × 2 + 5 × 1 × 3 = 35.
    expect(
      filterPolicyCombinations({
        source: ['a', 'b', 'c', 'd', 'e'],
        $or: [
          { metricName: ['x', 'y'] },
          { metricType: ['t'], $or: [{ metricId: ['1', '2'] }, { spaceId: ['1', '2', '3'] }] },
        ],
      } as unknown as SnsFilterPolicy),
    ).toBe(35);
  });

  it("keeps a lone subscription's policy as it was, so registrations from before the union stay identical", () => {
    const s = toSubscriptions([
      {
        phone: PHONES[0] as string,
        audience: 'operators',
        minSeverity: 'warning',
        lang: 'zh',
        siteIds: ['plant-town'],
        townships: ['Tiznap'],
      },
    ]);
    expect(phoneFilterPolicy(s)).toEqual(snsFilterPolicy(s[0] as Subscription));
    expect(phoneFilterPolicy([])).toBeUndefined();
  });

  it('drops duplicate alternatives and does not wrap a single one in $or', () => {
    const base = {
      phone: PHONES[0] as string,
      audience: 'operators' as const,
      minSeverity: 'warning' as const,
      lang: 'zh' as const,
    };
    const subs = toSubscriptions([
      { ...base, siteIds: ['plant-town'], townships: undefined },
      { ...base, siteIds: ['plant-town'], townships: undefined },
    ]);
    expect(phoneFilterPolicy(subs)).toEqual(snsFilterPolicy(subs[0] as Subscription));
  });

  it('names the limit a policy breaks', () => {
    const sites = Array.from({ length: 76 }, (_, i) => `s${i}`);
    expect(
      filterPolicyProblem({ audience: ['operators'], severity: ['warning', 'critical'], siteId: sites }),
    ).toBe('152 filter combinations, SNS allows 150');
    expect(filterPolicyProblem({ a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] })).toBe(
      '6 filter keys, SNS allows 5',
    );
    expect(filterPolicyProblem({ a: ['x'.repeat(300_000)] })).toMatch(
      /^a 300\d{3}-byte filter policy, SNS allows 262144$/,
    );
    expect(filterPolicyProblem({ audience: ['operators'] })).toBeUndefined();
  });
});
