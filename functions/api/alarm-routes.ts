import { z } from 'zod';
import { ALARM_STATES, SEVERITIES } from '../core/alarm-types';
import { NotFoundError } from '../core/errors';
import type { AlarmQueries } from '../ports/alarm-queries';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { AlarmEngine } from '../use-cases/alarm-engine';
import {
  type ApiEvent,
  type ApiResult,
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
import type { AlarmPage } from './types';

export interface AlarmApiDeps {
  alarms: AlarmQueries;
  engine: AlarmEngine;
  registry: DeviceRegistry;
  clock: Clock;
}

const who = z.string().trim().min(1, 'say who is acting (name or operator id)').max(100);

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
    return json(200, { items, nextCursor: page.cursor } satisfies AlarmPage);
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
    return json(
      200,
      await deps.engine.acknowledge(pathParam(event, 'id', ID_FORMATS.alarm), body.by, body.comment),
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
    return json(
      200,
      await deps.engine.shelve(pathParam(event, 'id', ID_FORMATS.alarm), body.until, body.reason, body.by),
    );
  },

  'POST /devices/{id}/maintenance': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.device);
    const body = parseBody(
      z.object({ on: z.boolean(), reason: z.string().max(500).optional(), by: who.optional() }).strict(),
      event,
    );
    const device = await deps.registry.setMaintenance(id, body.on, body.reason);
    if (!device)
      throw new NotFoundError(`device "${id}" is not registered; GET /devices lists the registered ones`);
    return json(200, device);
  },
};
