import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../contract';
import {
  AUDIENCES,
  LANGUAGES,
  type Notification,
  SEVERITIES,
  SEVERITY_RANK,
  type Severity,
} from './alarm-types';
import type { Fleet } from './registry';

/** E.164: a plus, a country code that does not start with 0, and 7 to 15 digits in all. */
const PHONE_PATTERN = /^\+[1-9]\d{6,14}$/;

/** SNS allows at most 150 value combinations in one filter policy; a subscription must stay below that. */
const SNS_FILTER_MAX_COMBINATIONS = 150;

const oneOf = (values: readonly string[], what: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `is required: one of ${values.join(', ')}`
      : `${JSON.stringify(issue.input)} is not ${what}; use one of ${values.join(', ')}`,
});

/** Spaces, dots, dashes and brackets people type inside numbers are dropped; the rest must be E.164. */
const phone = z
  .string({ error: 'is required: a phone number in E.164 form, e.g. +8613800000001' })
  .transform((s) => s.trim().replace(/[\s.()-]/g, ''))
  .pipe(
    z
      .string()
      .regex(
        PHONE_PATTERN,
        'must be an E.164 phone number: "+", the country code, then the number, 7 to 15 digits in all (e.g. +8613800000001)',
      ),
  );

const siteIds = z
  .array(z.string().regex(DEVICE_ID_PATTERN, 'site ids are [A-Za-z0-9_-]{1,64}'))
  .min(1, 'omit siteIds for the whole county; a list needs at least one site id')
  .max(100);
const townships = z
  .array(z.string().trim().min(1, 'a township name must not be empty'))
  .min(1, 'omit townships for the whole county; a list needs at least one township')
  .max(100);

/** What a caller (API body or fleet file) says about a subscription; the service adds id and creation time. */
export const subscriptionInputSchema = z
  .object({
    phone,
    audience: z.enum(AUDIENCES, oneOf(AUDIENCES, 'an audience')),
    /** Alarms of these sites. With `townships` too, alarms of either; with neither, the whole county. */
    siteIds: siteIds.optional(),
    townships: townships.optional(),
    /** Receives this severity and above (SEVERITY_RANK: device < sensor_fault < warning < critical). */
    minSeverity: z.enum(SEVERITIES, oneOf(SEVERITIES, 'a severity')).default('warning'),
    lang: z.enum(LANGUAGES, oneOf(LANGUAGES, 'a language')).default('zh'),
    /** Who this is, for people reading the list. */
    name: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((sub, ctx) => {
    const combinations = filterCombinations(sub);
    if (combinations > SNS_FILTER_MAX_COMBINATIONS)
      ctx.addIssue({
        code: 'custom',
        path: ['siteIds'],
        message:
          `too many sites and townships for one subscription (${combinations} filter combinations, SNS allows ` +
          `${SNS_FILTER_MAX_COMBINATIONS}); split it into several subscriptions or use townships`,
      });
  });

const subscriptionSchema = z.object({
  subscriptionId: z.string().min(1),
  phone: z.string().regex(PHONE_PATTERN),
  audience: z.enum(AUDIENCES),
  siteIds: z.array(z.string()).optional(),
  townships: z.array(z.string()).optional(),
  minSeverity: z.enum(SEVERITIES),
  lang: z.enum(LANGUAGES),
  name: z.string().optional(),
  /** ISO-8601. */
  createdAt: z.string(),
  /** The provider's handle for this phone (an SNS SubscriptionArn); absent where the channel keeps none. */
  providerRef: z.string().optional(),
  source: z.enum(['api', 'fleet']).optional(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

/**
 * A change to a stored subscription (`PATCH /subscriptions/{id}`): any input field but the phone; `null` removes a
 * scope list or the name. The merged subscription is checked again as a whole (`mergeSubscriptionPatch`).
 */
export const subscriptionPatchSchema = z
  .object({
    phone: z
      .never({ error: 'cannot change: create a subscription for the new number and delete this one' })
      .optional(),
    audience: z.enum(AUDIENCES, oneOf(AUDIENCES, 'an audience')).optional(),
    siteIds: siteIds.nullable().optional(),
    townships: townships.nullable().optional(),
    minSeverity: z.enum(SEVERITIES, oneOf(SEVERITIES, 'a severity')).optional(),
    lang: z.enum(LANGUAGES, oneOf(LANGUAGES, 'a language')).optional(),
    name: z.string().trim().min(1).max(100).nullable().optional(),
  })
  .strict();
export type SubscriptionPatch = z.output<typeof subscriptionPatchSchema>;

/**
 * The input a stored subscription would have after the patch, for `subscriptionInputSchema` to check again (the
 * SNS combination bound depends on scope and severity together).
 */
export function mergeSubscriptionPatch(sub: Subscription, patch: SubscriptionPatch): Record<string, unknown> {
  const merged: Record<string, unknown> = {
    phone: sub.phone,
    audience: patch.audience ?? sub.audience,
    minSeverity: patch.minSeverity ?? sub.minSeverity,
    lang: patch.lang ?? sub.lang,
  };
  const pick = <K extends 'siteIds' | 'townships' | 'name'>(key: K) => {
    const value = patch[key] === undefined ? sub[key] : patch[key];
    if (value !== null && value !== undefined) merged[key] = value;
  };
  pick('siteIds');
  pick('townships');
  pick('name');
  return merged;
}

/**
 * The stored subscription after a validated change: same id, phone, creation time and source. A handle of its own
 * from before phones had one registration (`providerRef`) is dropped: the phone's registration holds it now.
 */
export function patchedSubscription(
  sub: Subscription,
  input: z.output<typeof subscriptionInputSchema>,
): Subscription {
  const next = newSubscription(input, sub.subscriptionId, Date.parse(sub.createdAt), sub.source ?? 'api');
  return { ...next, createdAt: sub.createdAt };
}

/** A subscription in the fleet file: the API input plus an optional fixed id and a free-text note. */
export const fleetSubscriptionSchema = z
  .object({
    ...subscriptionInputSchema.shape,
    id: z.string().regex(DEVICE_ID_PATTERN, 'ids are [A-Za-z0-9_-]{1,64}').optional(),
    note: z.string().optional(),
  })
  .strict()
  .superRefine((sub, ctx) => {
    const combinations = filterCombinations(sub);
    if (combinations > SNS_FILTER_MAX_COMBINATIONS)
      ctx.addIssue({
        code: 'custom',
        path: ['siteIds'],
        message: `too many sites and townships (${combinations} SNS filter combinations, at most ${SNS_FILTER_MAX_COMBINATIONS})`,
      });
  });
export type FleetSubscription = z.infer<typeof fleetSubscriptionSchema>;

type Scoped = Pick<Subscription, 'siteIds' | 'townships'>;

function severitiesFrom(minSeverity: Severity): Severity[] {
  return SEVERITIES.filter((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[minSeverity]);
}

function filterCombinations(sub: Scoped & { minSeverity?: Severity }): number {
  const scope = (sub.siteIds?.length ?? 0) + (sub.townships?.length ?? 0);
  return severitiesFrom(sub.minSeverity ?? 'warning').length * Math.max(1, scope);
}

const isScoped = (sub: Scoped) => (sub.siteIds?.length ?? 0) + (sub.townships?.length ?? 0) > 0;

/** True when an alarm at this site/township falls inside the subscription's scope. */
function inScope(sub: Scoped, where: { siteId: string; township: string }): boolean {
  if (!isScoped(sub)) return true;
  return (sub.siteIds?.includes(where.siteId) ?? false) || (sub.townships?.includes(where.township) ?? false);
}

/**
 * Whether a notification goes to this subscription: same audience, severity at or above the minimum, and inside the
 * scope (one of its sites, one of its townships, or anywhere when it names neither). `snsFilterPolicy` says the same
 * to SNS.
 */
export function subscriptionMatches(
  sub: Pick<Subscription, 'audience' | 'minSeverity' | 'siteIds' | 'townships'>,
  n: Pick<Notification, 'audience' | 'severity' | 'siteId' | 'township'>,
): boolean {
  return (
    sub.audience === n.audience &&
    SEVERITY_RANK[n.severity] >= SEVERITY_RANK[sub.minSeverity] &&
    inScope(sub, n)
  );
}

/** An SNS filter policy over message attributes (FilterPolicyScope `MessageAttributes`). */
export type SnsFilterPolicy = Record<string, string[] | Record<string, string[]>[]>;

/**
 * The SNS filter policy equivalent to `subscriptionMatches` for the message attributes the SNS notifier sets
 * (`audience`, `severity`, `siteId`, `township`, `lang`); `lang` picks the one of the two published messages in the
 * subscriber's language.
 */
export function snsFilterPolicy(
  sub: Pick<Subscription, 'audience' | 'minSeverity' | 'siteIds' | 'townships' | 'lang'>,
): SnsFilterPolicy {
  const policy: SnsFilterPolicy = {
    audience: [sub.audience],
    severity: severitiesFrom(sub.minSeverity),
    lang: [sub.lang],
  };
  const sites = sub.siteIds?.length ? sub.siteIds : undefined;
  const towns = sub.townships?.length ? sub.townships : undefined;
  if (sites && towns) policy.$or = [{ siteId: [...sites] }, { township: [...towns] }];
  else if (sites) policy.siteId = [...sites];
  else if (towns) policy.township = [...towns];
  return policy;
}

/**
 * An existing subscription that would send the same alarms to the same phone again (same phone, audience and
 * language, overlapping scope), so a second POST does not double every SMS. Site and township scopes are not
 * compared with each other: that needs the registry.
 */
export function overlappingSubscription<S extends Subscription>(
  existing: readonly S[],
  candidate: Pick<Subscription, 'phone' | 'audience' | 'lang' | 'siteIds' | 'townships'>,
): S | undefined {
  const overlaps = (a?: readonly string[], b?: readonly string[]) =>
    (a ?? []).some((x) => (b ?? []).includes(x));
  return existing.find(
    (s) =>
      s.phone === candidate.phone &&
      s.audience === candidate.audience &&
      s.lang === candidate.lang &&
      (!isScoped(s) ||
        !isScoped(candidate) ||
        overlaps(s.siteIds, candidate.siteIds) ||
        overlaps(s.townships, candidate.townships)),
  );
}

/** Builds a stored subscription from validated input. */
export function newSubscription(
  input: z.output<typeof subscriptionInputSchema>,
  subscriptionId: string,
  now: number,
  source: Subscription['source'] = 'api',
): Subscription {
  const sub: Subscription = {
    subscriptionId,
    phone: input.phone,
    audience: input.audience,
    minSeverity: input.minSeverity,
    lang: input.lang,
    createdAt: new Date(now).toISOString(),
    source,
  };
  if (input.siteIds) sub.siteIds = [...new Set(input.siteIds)];
  if (input.townships) sub.townships = [...new Set(input.townships)];
  if (input.name !== undefined) sub.name = input.name;
  return sub;
}

/** Fleet subscriptions get `fleet-<hash of phone and audience>` unless they carry an `id`, so reloading overwrites. */
export function fleetSubscriptionId(entry: Pick<FleetSubscription, 'id' | 'phone' | 'audience'>): string {
  if (entry.id) return entry.id;
  const digest = createHash('sha256').update(`${entry.phone}\n${entry.audience}`).digest('hex');
  return `fleet-${digest.slice(0, 12)}`;
}

/**
 * Problems with the fleet's subscriptions that need the rest of the fleet to see: unknown sites or townships, and
 * two entries with the same id (same phone and audience without an explicit `id`).
 */
export function fleetSubscriptionIssues(
  subscriptions: readonly FleetSubscription[],
  sites: readonly { id: string; township: string }[],
): { path: (string | number)[]; message: string }[] {
  const siteIds = new Set(sites.map((s) => s.id));
  const towns = new Set(sites.map((s) => s.township));
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, number>();
  for (const [i, sub] of subscriptions.entries()) {
    for (const [j, siteId] of (sub.siteIds ?? []).entries())
      if (!siteIds.has(siteId)) issues.push({ path: [i, 'siteIds', j], message: `unknown site ${siteId}` });
    for (const [j, township] of (sub.townships ?? []).entries())
      if (!towns.has(township))
        issues.push({ path: [i, 'townships', j], message: `no site is in township "${township}"` });
    const id = fleetSubscriptionId(sub);
    const first = seen.get(id);
    if (first !== undefined)
      issues.push({
        path: [i, 'id'],
        message: `same id ${id} as subscriptions.${first} (same phone and audience); give one of them an explicit "id"`,
      });
    else seen.set(id, i);
  }
  return issues;
}

/**
 * The fleet file's example subscriptions as stored subscriptions, with stable ids so that loading the file again
 * replaces them instead of adding copies. `now` is the creation time of new ones.
 */
export function loadFleetSubscriptions(fleet: Pick<Fleet, 'subscriptions'>, now: number): Subscription[] {
  return (fleet.subscriptions ?? []).map((entry) => {
    const { id: _id, note: _note, ...input } = entry;
    return newSubscription(input, fleetSubscriptionId(entry), now, 'fleet');
  });
}

/**
 * What to write so the store holds exactly the fleet's subscriptions next to those made through the API: fleet
 * entries are put (keeping the creation time of ones already stored), and stored fleet entries that left the file
 * are deleted. API subscriptions are never touched.
 */
export function planFleetSync(
  stored: readonly Subscription[],
  fleet: readonly Subscription[],
): { put: Subscription[]; remove: Subscription[] } {
  const byId = new Map(stored.map((s) => [s.subscriptionId, s]));
  const wanted = new Set(fleet.map((s) => s.subscriptionId));
  const put = fleet.map((s) => {
    const old = byId.get(s.subscriptionId);
    return old ? { ...s, createdAt: old.createdAt } : s;
  });
  const remove = stored.filter((s) => s.source === 'fleet' && !wanted.has(s.subscriptionId));
  return { put, remove };
}
