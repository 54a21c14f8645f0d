import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AUDIENCES } from '../core/alarm-types';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import {
  mergeSubscriptionPatch,
  newSubscription,
  overlappingSubscription,
  patchedSubscription,
  type Subscription,
  subscriptionInputSchema,
  subscriptionPatchSchema,
} from '../core/subscription';
import { subscriptionChanged } from '../core/subscription-audit';
import type { DeviceRegistry } from '../ports/device-registry';
import {
  changeSubscription,
  checkGuards,
  type SubscriptionChangeDeps,
} from '../use-cases/subscription-changes';
import {
  type ApiEvent,
  type ApiResult,
  cursorParam,
  ID_FORMATS,
  idParam,
  json,
  parseBody,
  parseQuery,
  pathParam,
  textParam,
} from './http';
import { principalOf } from './principal';

export interface SubscriptionRouteDeps extends SubscriptionChangeDeps {
  /** When given, site ids and townships of a new subscription must have registered devices (catches typos). */
  registry?: Pick<DeviceRegistry, 'list'>;
  /** Id source, for tests; default `sub-<uuid>`. */
  newId?: () => string;
}

const listQuery = z
  .object({
    audience: z.enum(AUDIENCES, { error: `must be one of ${AUDIENCES.join(', ')}` }).optional(),
    siteId: idParam(ID_FORMATS.site).optional(),
    township: textParam.optional(),
  })
  .strict();

const auditQuery = z
  .object({
    limit: z.coerce
      .number({ error: 'must be a whole number from 1 to 200' })
      .int('must be a whole number from 1 to 200')
      .min(1, 'must be a whole number from 1 to 200')
      .max(200, 'must be a whole number from 1 to 200')
      .default(50),
    cursor: cursorParam.optional(),
  })
  .strict();

/** 409 when another subscription already sends this phone the same alarms in the same language. */
function refuseTwin(existing: readonly Subscription[], sub: Subscription): void {
  const twin = overlappingSubscription(
    existing.filter((s) => s.subscriptionId !== sub.subscriptionId),
    sub,
  );
  if (twin)
    throw new ConflictError(
      `${sub.phone} already receives ${sub.audience} alarms in ${sub.lang} for an overlapping scope through ` +
        `subscription ${twin.subscriptionId}; DELETE /subscriptions/${twin.subscriptionId} first, or choose other sites`,
    );
}

async function existingSubscription(event: ApiEvent, deps: SubscriptionRouteDeps): Promise<Subscription> {
  const id = pathParam(event, 'id', ID_FORMATS.subscription);
  const sub = await deps.subscriptions.get(id);
  if (!sub) throw new NotFoundError(`subscription ${id} does not exist; GET /subscriptions lists them`);
  return sub;
}

async function checkScope(deps: SubscriptionRouteDeps, sub: Subscription): Promise<void> {
  const registry = deps.registry;
  if (!registry) return;
  const problems: string[] = [];
  for (const siteId of sub.siteIds ?? [])
    if ((await registry.list({ siteId })).length === 0)
      problems.push(`body siteIds: no device is registered at site "${siteId}"`);
  for (const township of sub.townships ?? [])
    if ((await registry.list({ township })).length === 0)
      problems.push(`body townships: no device is registered in township "${township}"`);
  if (problems.length > 0)
    throw new ValidationError(`${problems.join('; ')}; GET /devices lists sites and townships`);
}

/**
 * SMS subscriptions: list, create, change, delete, and the audit log of those changes. Every change updates the
 * phone's one SNS registration (the union of its subscriptions) and is audited with the caller from the token.
 */
export const subscriptionRoutes: Record<
  string,
  (event: ApiEvent, deps: SubscriptionRouteDeps) => Promise<ApiResult>
> = {
  'GET /subscriptions': async (event, deps) => {
    const q = parseQuery(listQuery, event);
    return json(200, { items: await deps.subscriptions.list(q) });
  },

  'GET /subscriptions/audit': async (event, deps) => {
    const q = parseQuery(auditQuery, event);
    return json(200, await deps.audit.page(q));
  },

  'POST /subscriptions': async (event, deps) => {
    const input = parseBody(subscriptionInputSchema, event);
    const id = deps.newId?.() ?? `sub-${randomUUID()}`;
    const sub = newSubscription(input, id, deps.clock.now());
    const all = await deps.subscriptions.list();
    checkGuards(sub.phone, all, deps.guards);
    await checkScope(deps, sub);
    refuseTwin(all, sub);
    await changeSubscription({ after: sub }, principalOf(event), deps);
    return json(201, sub);
  },

  'PATCH /subscriptions/{id}': async (event, deps) => {
    const before = await existingSubscription(event, deps);
    const patch = parseBody(subscriptionPatchSchema, event);
    const parsed = subscriptionInputSchema.safeParse(mergeSubscriptionPatch(before, patch));
    if (!parsed.success)
      throw new ValidationError(
        parsed.error.issues.map((i) => `body ${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      );
    const after = patchedSubscription(before, parsed.data);
    await checkScope(deps, after);
    refuseTwin(await deps.subscriptions.list({ phone: after.phone }), after);
    if (!subscriptionChanged(before, after)) return json(200, before);
    await changeSubscription({ before, after }, principalOf(event), deps);
    return json(200, after);
  },

  'DELETE /subscriptions/{id}': async (event, deps) => {
    const before = await existingSubscription(event, deps);
    // Provider first: if it fails, the record stays and the DELETE can be retried.
    await changeSubscription({ before }, principalOf(event), deps);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
  },
};
