import { z } from 'zod';
import { METRIC_NAME_PATTERN } from '../contract';
import { NotFoundError, ValidationError } from '../core/errors';
import { fromReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { QuarantineEntry, QuarantineStore } from '../ports/quarantine-store';
import type { ReadingStore } from '../ports/reading-store';
import { DAY_MS } from '../shared/time';
import {
  type ApiEvent,
  type ApiResult,
  cursorParam,
  ID_FORMATS,
  idParam,
  json,
  parseQuery,
  pathParam,
  textParam,
  timeParam,
} from './http';
import type { LatestReading, QuarantineEntryView, QuarantinePage, ReadingsPage, ReadingView } from './types';

export interface ApiDeps {
  registry: DeviceRegistry;
  readings: ReadingStore;
  quarantine: QuarantineStore;
  clock: Clock;
}

export type RouteHandler = (event: ApiEvent, deps: ApiDeps) => Promise<ApiResult>;

const readingsQuery = z
  .object({
    from: timeParam.optional(),
    to: timeParam.optional(),
    metric: z.string().regex(METRIC_NAME_PATTERN, 'must be a metric name such as turbidity_ntu').optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    order: z.enum(['asc', 'desc']).default('asc'),
    cursor: cursorParam.optional(),
  })
  .strict();

async function requireDevice(deps: ApiDeps, id: string): Promise<Device> {
  const device = await deps.registry.get(id);
  if (!device)
    throw new NotFoundError(`device "${id}" is not registered; GET /devices lists the registered ones`);
  return device;
}

function presentReading(item: Parameters<typeof fromReadingItem>[0]): ReadingView {
  const s = fromReadingItem(item);
  return { time: new Date(s.ts).toISOString(), ...s };
}

function presentQuarantine(e: QuarantineEntry): QuarantineEntryView {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(e.payload);
  const payloadBytes = e.payloadBytes ?? e.payload.byteLength;
  return {
    id: e.id,
    at: new Date(e.receivedAt).toISOString(),
    receivedAt: e.receivedAt,
    topic: e.topic,
    clientId: e.clientId,
    deviceId: e.deviceId,
    reason: e.reason,
    message: e.message,
    payloadBase64: Buffer.from(e.payload).toString('base64'),
    payloadText: text.length <= 2048 ? text : `${text.slice(0, 2048)}…`,
    /** Length of the whole message; `payloadBase64` holds its first bytes when `truncated`. */
    payloadBytes,
    payloadSha256: e.payloadSha256,
    truncated: payloadBytes > e.payload.byteLength,
  };
}

/** Route handlers keyed by API Gateway route key; the keys are exactly the contract's `API_ROUTES`. */
export const routes: Record<string, RouteHandler> = {
  'GET /devices': async (event, deps) => {
    const q = parseQuery(
      z
        .object({
          kind: z.enum(['water', 'bin']).optional(),
          siteId: idParam(ID_FORMATS.site).optional(),
          township: textParam.optional(),
        })
        .strict(),
      event,
    );
    return json(200, { items: await deps.registry.list(q) });
  },

  'GET /devices/{id}': async (event, deps) =>
    json(200, await requireDevice(deps, pathParam(event, 'id', ID_FORMATS.device))),

  'GET /devices/{id}/readings': async (event, deps) => {
    const device = await requireDevice(deps, pathParam(event, 'id', ID_FORMATS.device));
    const q = parseQuery(readingsQuery, event);
    const to = q.to ?? deps.clock.now();
    const from = q.from ?? to - DAY_MS;
    if (from > to) throw new ValidationError('query parameter from must not be after to');
    const page = await deps.readings.query({
      deviceId: device.id,
      from,
      to,
      limit: q.limit,
      metric: q.metric,
      cursor: q.cursor,
      newestFirst: q.order === 'desc',
    });
    return json(200, {
      deviceId: device.id,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      items: page.items.map(presentReading),
      nextCursor: page.cursor,
    } satisfies ReadingsPage);
  },

  'GET /devices/{id}/latest': async (event, deps) => {
    const device = await requireDevice(deps, pathParam(event, 'id', ID_FORMATS.device));
    const item = await deps.readings.latest(device.id);
    if (!item) throw new NotFoundError(`device "${device.id}" has no readings yet`);
    return json(200, { deviceId: device.id, ...presentReading(item) } satisfies LatestReading);
  },

  'GET /quarantine': async (event, deps) => {
    const q = parseQuery(
      z
        .object({
          limit: z.coerce.number().int().min(1).max(500).default(50),
          deviceId: idParam(ID_FORMATS.device).optional(),
          reason: z
            .string()
            .regex(/^[a-z][a-z_]{0,39}$/, 'must be a reason such as not_json, bad_shape or oversize')
            .optional(),
          days: z.coerce.number().int().min(1).max(90).default(7),
          cursor: cursorParam.optional(),
        })
        .strict(),
      event,
    );
    const page = await deps.quarantine.list({
      ...q,
      reason: q.reason as QuarantineEntry['reason'] | undefined,
      now: deps.clock.now(),
    });
    return json(200, {
      items: page.items.map(presentQuarantine),
      nextCursor: page.cursor,
    } satisfies QuarantinePage);
  },
};
