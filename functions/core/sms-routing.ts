import type { Language, Notification } from './alarm-types';
import {
  type SnsFilterPolicy,
  type Subscription,
  snsFilterPolicy,
  subscriptionMatches,
} from './subscription';

/**
 * SNS filter-policy limits (Amazon SNS developer guide, "Filter policy constraints"): at most 150 value combinations
 * (the product of the array lengths, summed over the branches of an `$or`), five keys, 256 KB of JSON.
 */
const SNS_FILTER_LIMITS = { combinations: 150, keys: 5, bytes: 256 * 1024 } as const;

type Routed = Pick<
  Subscription,
  'subscriptionId' | 'phone' | 'audience' | 'minSeverity' | 'siteIds' | 'townships' | 'lang'
>;

/** One SMS the routing rule sends: a phone, in one language, because of these subscriptions (oldest first). */
export interface Delivery {
  phone: string;
  lang: Language;
  subscriptionIds: string[];
}

/**
 * The routing rule, shared by the local outbox and the SNS filter policies: a phone gets a notification in a
 * language when at least one of its subscriptions in that language matches it, and then exactly once, however many
 * of its subscriptions match (operator and supervisor scopes, or two overlapping site lists).
 */
export function routeNotification(
  subscriptions: readonly Routed[],
  n: Pick<Notification, 'audience' | 'severity' | 'siteId' | 'township'>,
): Delivery[] {
  const byKey = new Map<string, Delivery>();
  for (const s of subscriptions) {
    if (!subscriptionMatches(s, n)) continue;
    const key = `${s.phone} ${s.lang}`;
    const delivery = byKey.get(key);
    if (delivery) delivery.subscriptionIds.push(s.subscriptionId);
    else byKey.set(key, { phone: s.phone, lang: s.lang, subscriptionIds: [s.subscriptionId] });
  }
  return [...byKey.values()];
}

/** The phones the routing rule sends a notification to (a phone subscribed in both languages counts once). */
export function recipientPhones(
  subscriptions: readonly Routed[],
  n: Pick<Notification, 'audience' | 'severity' | 'siteId' | 'township'>,
): string[] {
  return [...new Set(routeNotification(subscriptions, n).map((d) => d.phone))];
}

type Clause = Record<string, string[]>;

/** A policy as a list of `$or`-free alternatives (a policy with an `$or` expands into one clause per branch). */
function clausesOf(policy: SnsFilterPolicy): Clause[] {
  const { $or, ...plain } = policy;
  const base = plain as Clause;
  if (!Array.isArray($or)) return [base];
  return ($or as SnsFilterPolicy[]).flatMap((branch) => clausesOf(branch).map((c) => ({ ...base, ...c })));
}

/**
 * The filter policy of a phone's one SNS subscription: the union of the policies of all its subscriptions. One
 * subscription keeps its own policy unchanged (so subscriptions made before the union existed already match it);
 * several become a top-level `$or` of their alternatives, duplicates dropped. `undefined` for no subscriptions.
 */
export function phoneFilterPolicy(subscriptions: readonly Routed[]): SnsFilterPolicy | undefined {
  const [only, ...others] = subscriptions;
  if (!only) return undefined;
  if (others.length === 0) return snsFilterPolicy(only);
  const seen = new Set<string>();
  const clauses: Clause[] = [];
  for (const s of subscriptions)
    for (const clause of clausesOf(snsFilterPolicy(s))) {
      const key = JSON.stringify(clause);
      if (seen.has(key)) continue;
      seen.add(key);
      clauses.push(clause);
    }
  // SNS reads `$or` as an operator only with at least two branches.
  const [first, ...rest] = clauses;
  return rest.length === 0 && first ? first : { $or: clauses };
}

/** The value combinations SNS counts for a policy: the product of the array lengths, an `$or` adding its branches. */
export function filterPolicyCombinations(policy: SnsFilterPolicy): number {
  let product = 1;
  for (const [key, rule] of Object.entries(policy)) {
    if (key === '$or')
      product *= (rule as SnsFilterPolicy[]).reduce((n, b) => n + filterPolicyCombinations(b), 0);
    else product *= (rule as string[]).length;
  }
  return product;
}

function keysOf(policy: SnsFilterPolicy, into = new Set<string>()): Set<string> {
  for (const [key, rule] of Object.entries(policy)) {
    if (key === '$or') for (const branch of rule as SnsFilterPolicy[]) keysOf(branch, into);
    else into.add(key);
  }
  return into;
}

/**
 * Why SNS would refuse this policy, or `undefined` when it is within every limit. Keys are counted across all
 * branches, the stricter reading of the limit.
 */
export function filterPolicyProblem(policy: SnsFilterPolicy): string | undefined {
  const combinations = filterPolicyCombinations(policy);
  if (combinations > SNS_FILTER_LIMITS.combinations)
    return `${combinations} filter combinations, SNS allows ${SNS_FILTER_LIMITS.combinations}`;
  const keys = keysOf(policy).size;
  if (keys > SNS_FILTER_LIMITS.keys) return `${keys} filter keys, SNS allows ${SNS_FILTER_LIMITS.keys}`;
  const bytes = new TextEncoder().encode(JSON.stringify(policy)).length;
  if (bytes > SNS_FILTER_LIMITS.bytes)
    return `a ${bytes}-byte filter policy, SNS allows ${SNS_FILTER_LIMITS.bytes}`;
  return undefined;
}

/** The SMS toll-fraud guards: where numbers may be, and how many distinct phones the county may have. */
export interface SmsGuards {
  /** Country calling codes without the plus, e.g. `['86']`. */
  allowedCountryCodes: readonly string[];
  maxPhones: number;
}

/** Whether an E.164 number is in one of the allowed countries (calling codes are prefix-free, so a prefix test is exact). */
export function phoneAllowed(phone: string, guards: Pick<SmsGuards, 'allowedCountryCodes'>): boolean {
  return guards.allowedCountryCodes.some((code) => phone.startsWith(`+${code}`));
}

/** The sentence a refused number gets: which codes are allowed and where that is set. */
export function countryRefusal(phone: string, guards: Pick<SmsGuards, 'allowedCountryCodes'>): string {
  const codes = guards.allowedCountryCodes.map((c) => `+${c}`).join(', ');
  return `${phone} is outside the countries SMS may go to (${codes}); SMS_ALLOWED_COUNTRY_CODES sets them`;
}

/** The distinct phones of these subscriptions. */
export function distinctPhones(subscriptions: readonly Pick<Subscription, 'phone'>[]): Set<string> {
  return new Set(subscriptions.map((s) => s.phone));
}
