import { z } from 'zod';
import type { Alarm } from '../core/alarm';
import { ALARM_STATES, SEVERITIES } from '../core/alarm-types';
import { ForbiddenError, NotFoundError, ValidationError } from '../core/errors';
import { MAINTENANCE_DEFAULT_MS, MAINTENANCE_MAX_MS } from '../core/registry';
import { mayActOnAlarm, rolesActingOn } from '../core/roles';
import type { AlarmQueries } from '../ports/alarm-queries';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { DeviceWindows } from '../ports/device-windows';
import type { AlarmEngine } from '../use-cases/alarm-engine';
import {
  type ApiEvent,
  type ApiResult,
  conditionalJson,
  cursorParam,
  epochMs,
  ID_FORMATS,
  idParam,
  json,
  parseBody,
  parseQuery,
  pathParam,
  timeParam,
} from './http';
import { type Principal, principalOf } from './principal';
import { roleList } from './route-permissions';
import type { AlarmPage } from './types';

export interface AlarmApiDeps {
  alarms: AlarmQueries;
  engine: AlarmEngine;
  registry: DeviceRegistry;
  clock: Clock;
  /** Maintenance is also recorded as a window, so the compliance report's completeness leaves it out. */
  windows: DeviceWindows;
}

/**
 * `by` in a body (API v1) is kept for the clients that send it, and still required where it was, but the actor
 * recorded is the caller of the token: `by` must name the caller (their name or id), and a body acting for somebody
 * else is refused rather than silently recorded under another name.
 */
export const who = z
  .string()
  .trim()
  .min(1, 'say who is acting: your own name (as your token says) or id')
  .max(100);

export function actor(event: ApiEvent, by: string | undefined): Principal {
  const caller = principalOf(event);
  if (by === undefined) return caller;
  const claimed = by.toLowerCase();
  if (claimed !== caller.name.toLowerCase() && claimed !== caller.id.toLowerCase())
    throw new ForbiddenError(
      `body by ${JSON.stringify(by)} is not the caller: changes are recorded as the signed-in user (${caller.name}); ` +
        'send your own name in by, or leave it out where it is optional',
    );
  return caller;
}

/** Refuses (403) a caller whose role does not act on the alarm's audience (a sanitation crew and a water alarm). */
const mayAct = (caller: Principal, verb: string) => (alarm: Alarm) => {
  if (!mayActOnAlarm(caller.role, alarm.audience))
    throw new ForbiddenError(
      `alarm ${alarm.alarmId} goes to ${alarm.audience}; to ${verb} it needs the role ${roleList(
        rolesActingOn(alarm.audience),
      )}; you are ${caller.role}`,
    );
};

const DAY_HOURS = 24;
const maintenanceBody = z
  .object({
    on: z.boolean(),
    /** When it ends by itself; required in spirit, defaulted for clients from before it existed. */
    until: z.union([epochMs, timeParam]).optional(),
    reason: z.string().max(500).optional(),
    by: who.optional(),
  })
  .strict();

/** The end of a maintenance being turned on: given (in the future, at most 30 days away) or the default 24 h. */
function maintenanceEnd(on: boolean, until: number | undefined, now: number): number | undefined {
  if (!on) {
    if (until !== undefined)
      throw new ValidationError('body until: only a maintenance being turned on ("on": true) has an end');
    return undefined;
  }
  if (until === undefined) return now + MAINTENANCE_DEFAULT_MS;
  if (until <= now) throw new ValidationError('body until: must be in the future');
  if (until - now > MAINTENANCE_MAX_MS)
    throw new ValidationError(
      `body until: a maintenance may last at most ${MAINTENANCE_MAX_MS / (DAY_HOURS * 3_600_000)} days; renew it when it ends`,
    );
  return until;
}

const listQuery = z
  .object({
    state: z.enum([...ALARM_STATES, 'open']).default('open'),
    siteId: idParam(ID_FORMATS.site).optional(),
    deviceId: idParam(ID_FORMATS.device).optional(),
    severity: z.enum(SEVERITIES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: cursorParam.optional(),
  })
  .strict();

/** The detail shows the newest `historyLimit` transitions and notifications; `historyCount` says how many exist. */
const detailQuery = z.object({ historyLimit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

/** Alarm list, detail, acknowledgement, shelving and device maintenance, keyed by route. */
export const alarmRoutes: Record<string, (event: ApiEvent, deps: AlarmApiDeps) => Promise<ApiResult>> = {
  'GET /alarms': async (event, deps) => {
    const q = parseQuery(listQuery, event);
    const status = q.state === 'closed' ? 'closed' : 'open';
    const page = await deps.alarms.list({
      status,
      state: q.state === 'open' || q.state === 'closed' ? undefined : q.state,
      siteId: q.siteId,
      deviceId: q.deviceId,
      severity: q.severity,
      limit: q.limit,
      cursor: q.cursor,
    });
    const items = page.items.map(({ pending: _p, sending: _s, lastEntry: _e, ...summary }) => summary);
    return conditionalJson(event, 200, { items, nextCursor: page.cursor } satisfies AlarmPage);
  },

  'GET /alarms/{id}': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.alarm);
    const q = parseQuery(detailQuery, event);
    const alarm = await deps.alarms.get(id, q.historyLimit);
    if (!alarm) throw new NotFoundError(`alarm ${id} does not exist; GET /alarms lists them`);
    return json(200, alarm);
  },

  'POST /alarms/{id}/ack': async (event, deps) => {
    const body = parseBody(z.object({ by: who, comment: z.string().max(500).optional() }).strict(), event);
    const caller = actor(event, body.by);
    return json(
      200,
      await deps.engine.acknowledge(
        pathParam(event, 'id', ID_FORMATS.alarm),
        caller.name,
        body.comment,
        mayAct(caller, 'acknowledge'),
      ),
    );
  },

  'POST /alarms/{id}/shelve': async (event, deps) => {
    const body = parseBody(
      z
        .object({
          until: z.union([epochMs, timeParam]),
          reason: z.string().trim().min(3, 'give a reason for shelving').max(500),
          by: who,
        })
        .strict(),
      event,
    );
    const caller = actor(event, body.by);
    return json(
      200,
      await deps.engine.shelve(
        pathParam(event, 'id', ID_FORMATS.alarm),
        body.until,
        body.reason,
        caller.name,
        mayAct(caller, 'shelve'),
      ),
    );
  },

  'POST /devices/{id}/maintenance': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.device);
    const body = parseBody(maintenanceBody, event);
    const caller = actor(event, body.by);
    const now = deps.clock.now();
    const until = maintenanceEnd(body.on, body.until, now);
    const device = await deps.registry.setMaintenance(
      id,
      body.on,
      body.reason,
      body.on ? { until, by: caller.name } : {},
    );
    if (!device)
      throw new NotFoundError(`device "${id}" is not registered; GET /devices lists the registered ones`);
    // After the registry: an unknown device records nothing. A maintenance turned on again replaces the running one
    // (ends it now), so a renewal with an earlier end shortens it.
    await deps.windows.endMaintenance(id, now);
    if (body.on && until !== undefined)
      await deps.windows.record({
        deviceId: id,
        kind: 'maintenance',
        from: now,
        to: until,
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
        by: caller.name,
        recordedAt: now,
      });
    return json(200, device);
  },
};
