import { z } from 'zod';
import { NotFoundError, ValidationError } from '../core/errors';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import { type DeviceWindows, WINDOW_MAX_MS } from '../ports/device-windows';
import { DAY_MS } from '../shared/time';
import { actor, who } from './alarm-routes';
import {
  type ApiEvent,
  type ApiResult,
  epochMs,
  ID_FORMATS,
  json,
  parseBody,
  parseQuery,
  pathParam,
  timeParam,
} from './http';

export interface WindowApiDeps {
  registry: DeviceRegistry;
  windows: DeviceWindows;
  clock: Clock;
}

const outageBody = z
  .object({
    from: z.union([epochMs, timeParam]),
    to: z.union([epochMs, timeParam]),
    reason: z.string().trim().min(3, 'say what the outage was (e.g. power cut at the pump house)').max(500),
    by: who,
  })
  .strict();

/** The longest range one list covers (a year); without `from`, the list covers the 31 days before `to`. */
const LIST_MAX_MS = 366 * DAY_MS;

async function requireDevice(deps: WindowApiDeps, id: string): Promise<void> {
  if (!(await deps.registry.get(id)))
    throw new NotFoundError(`device "${id}" is not registered; GET /devices lists the registered ones`);
}

const iso = (ts: number) => new Date(ts).toISOString();

/** Declared outages and the list of a device's maintenance and outage windows, keyed by route. */
export const windowRoutes: Record<string, (event: ApiEvent, deps: WindowApiDeps) => Promise<ApiResult>> = {
  'POST /devices/{id}/outages': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.device);
    const body = parseBody(outageBody, event);
    const caller = actor(event, body.by);
    const now = deps.clock.now();
    if (body.from >= body.to) throw new ValidationError('body from must be before to');
    if (body.to > now)
      throw new ValidationError(
        'body to must not be in the future: declare an outage once it is over (a planned stop is a maintenance)',
      );
    if (body.to - body.from > WINDOW_MAX_MS)
      throw new ValidationError(
        `an outage may last at most ${WINDOW_MAX_MS / DAY_MS} days; declare a longer one in parts`,
      );
    await requireDevice(deps, id);
    const window = {
      deviceId: id,
      kind: 'outage' as const,
      from: body.from,
      to: body.to,
      reason: body.reason,
      by: caller.name,
      recordedAt: now,
    };
    await deps.windows.record(window);
    return json(201, { ...window, fromIso: iso(window.from), toIso: iso(window.to) });
  },

  'GET /devices/{id}/windows': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.device);
    const q = parseQuery(z.object({ from: timeParam.optional(), to: timeParam.optional() }).strict(), event);
    const to = q.to ?? deps.clock.now();
    const from = q.from ?? to - WINDOW_MAX_MS;
    if (from >= to) throw new ValidationError('query parameter from must be before to');
    if (to - from > LIST_MAX_MS)
      throw new ValidationError('from and to may be at most 366 days apart; ask for one year at a time');
    await requireDevice(deps, id);
    const items = await deps.windows.list(id, from, to);
    return json(200, {
      deviceId: id,
      from: iso(from),
      to: iso(to),
      items: items.map((w) => ({ ...w, fromIso: iso(w.from), toIso: iso(w.to) })),
    });
  },
};
