import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AUDIENCES } from '../core/alarm-types';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import {
  newSubscription,
  overlappingSubscription,
  type Subscription,
  subscriptionInputSchema,
} from '../core/subscription';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { SubscriptionChannel, SubscriptionStore } from '../ports/subscription-store';
import {
  type ApiEvent,
  type ApiResult,
  ID_FORMATS,
  idParam,
  json,
  parseBody,
  parseQuery,
  pathParam,
  textParam,
} from './http';

export interface SubscriptionRouteDeps {
  subscriptions: SubscriptionStore;
  channel: SubscriptionChannel;
  clock: Clock;
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

/** SMS subscriptions: list, create (registered with the SMS provider), delete; keyed by route. */
export const subscriptionRoutes: Record<
  string,
  (event: ApiEvent, deps: SubscriptionRouteDeps) => Promise<ApiResult>
> = {
  'GET /subscriptions': async (event, deps) => {
    const q = parseQuery(listQuery, event);
    return json(200, { items: await deps.subscriptions.list(q) });
  },

  'POST /subscriptions': async (event, deps) => {
    const input = parseBody(subscriptionInputSchema, event);
    const id = deps.newId?.() ?? `sub-${randomUUID()}`;
    const sub = newSubscription(input, id, deps.clock.now());
    await checkScope(deps, sub);
    const twin = overlappingSubscription(await deps.subscriptions.list({ audience: sub.audience }), sub);
    if (twin)
      throw new ConflictError(
        `${sub.phone} already receives ${sub.audience} alarms in ${sub.lang} for an overlapping scope through ` +
          `subscription ${twin.subscriptionId}; DELETE /subscriptions/${twin.subscriptionId} first, or choose other sites`,
      );
    const providerRef = await deps.channel.subscribe(sub);
    const stored: Subscription = providerRef === undefined ? sub : { ...sub, providerRef };
    try {
      await deps.subscriptions.put(stored);
    } catch (err) {
      // Without the stored record nobody could ever remove the provider's registration: undo it.
      if (providerRef !== undefined) await deps.channel.unsubscribe(providerRef).catch(() => undefined);
      throw err;
    }
    return json(201, stored);
  },

  'DELETE /subscriptions/{id}': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.subscription);
    const sub = await deps.subscriptions.get(id);
    if (!sub) throw new NotFoundError(`subscription ${id} does not exist; GET /subscriptions lists them`);
    // Provider first: if it fails, the record stays and the DELETE can be retried.
    if (sub.providerRef !== undefined) await deps.channel.unsubscribe(sub.providerRef);
    await deps.subscriptions.delete(id);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
  },
};
