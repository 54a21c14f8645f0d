import { z } from 'zod';
import type {
  AlarmSummary,
  BinStatusView,
  CollectionEventView,
  LatestReading,
  QuarantineEntryView,
  ReadingView,
} from '../../functions/api/types';
import { REJECTION_REASONS } from '../../functions/contract';
import { ALARM_STATES, AUDIENCES, SEVERITIES } from '../../functions/core/alarm-types';
import { INGEST_FAILURE_REASONS } from '../../functions/ports/quarantine-store';
import type { ApiAnswer, OutboxLine, ServiceView } from './service-view';

// Each answer is checked once, here, for the fields the checks read, typed as the API types them. A field the API
// always sends but a check can do without is optional, so a partial answer still gets judged.

/** A request that did not give what was asked for, in words for the check's `found`. */
interface ApiFailure {
  error: string;
}

/** A reading's identity and arrival: what the delivery checks compare with what the run sent. */
type ReadingKey = Pick<ReadingView, 'ts' | 'seq'> & Partial<Pick<ReadingView, 'receivedAt'>>;
/** An alarm as the alarm checks judge it. */
export type AlarmView = Pick<AlarmSummary, 'alarmId' | 'deviceId'> &
  Partial<
    Pick<AlarmSummary, 'condition' | 'metric' | 'severity' | 'state' | 'audience' | 'raisedAt' | 'late'>
  >;
type QuarantineView = Pick<QuarantineEntryView, 'at' | 'topic' | 'reason' | 'payloadBase64'>;
/** A bin's forecast as the forecast check judges it. */
export type BinView = Pick<
  BinStatusView,
  | 'binId'
  | 'forecast'
  | 'reason'
  | 'ratePctPerHour'
  | 'thresholdPct'
  | 'thresholdAt'
  | 'aboveThreshold'
  | 'lastReadingAt'
>;
/** A collection event as the collections check judges it. */
export type CollectionView = Pick<CollectionEventView, 'binId' | 'at' | 'fromPct' | 'toPct'>;

const readingKey = z.object({
  ts: z.number(),
  seq: z.number(),
  receivedAt: z.number().optional(),
}) satisfies z.ZodType<ReadingKey>;
const readingsPage = z.object({ items: z.array(readingKey), nextCursor: z.string().optional() });
const latest = z.object({ ts: z.number() }) satisfies z.ZodType<Pick<LatestReading, 'ts'>>;
const alarm = z.object({
  alarmId: z.string(),
  deviceId: z.string(),
  condition: z.string().optional(),
  metric: z.string().optional(),
  severity: z.enum(SEVERITIES).optional(),
  state: z.enum(ALARM_STATES).optional(),
  audience: z.enum(AUDIENCES).optional(),
  raisedAt: z.number().optional(),
  late: z.boolean().optional(),
}) satisfies z.ZodType<AlarmView>;
const alarmPage = z.object({ items: z.array(alarm) });
const quarantinePage = z.object({
  items: z.array(
    z.object({
      at: z.string(),
      topic: z.string(),
      reason: z.enum([...REJECTION_REASONS, ...INGEST_FAILURE_REASONS]),
      payloadBase64: z.string(),
    }),
  ),
}) satisfies z.ZodType<{ items: QuarantineView[] }>;
const bin = z.object({
  binId: z.string(),
  forecast: z.enum(['ok', 'not_enough_data']),
  reason: z.string().nullable(),
  ratePctPerHour: z.number().nullable(),
  thresholdPct: z.number(),
  thresholdAt: z.string().nullable(),
  aboveThreshold: z.boolean(),
  lastReadingAt: z.string().nullable(),
}) satisfies z.ZodType<BinView>;
const binList = z.object({ items: z.array(z.object({ binId: z.string() })) });
const collectionReport = z.object({
  townships: z.array(
    z.object({
      events: z.array(
        z.object({ binId: z.string(), at: z.string().nullable(), fromPct: z.number(), toPct: z.number() }),
      ),
    }),
  ),
}) satisfies z.ZodType<{ townships: { events: CollectionView[] }[] }>;

/** What a failed GET says: the transport error, or the status and the start of the body. */
function answered(what: string, res: ApiAnswer): ApiFailure {
  return { error: res.error ?? `${what} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}` };
}

/** The body of a 200 answer checked against `schema`, or why it is not one. */
function parsed<T>(schema: z.ZodType<T>, path: string, res: ApiAnswer, what = `GET ${path}`): T | ApiFailure {
  if (res.status !== 200) return answered(what, res);
  const body = schema.safeParse(res.body);
  return body.success
    ? body.data
    : {
        error: `${what} answered 200 with an unexpected body: ${z.prettifyError(body.error).replace(/\n/g, ' ')}`,
      };
}

/** The value cached under `key`, loaded on first use. */
function once<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let hit = cache.get(key);
  if (!hit) {
    hit = load();
    cache.set(key, hit);
  }
  return hit;
}

/** Whether a request gave an {@link ApiFailure} rather than what was asked for. */
export const failed = <T>(value: T | ApiFailure): value is ApiFailure =>
  typeof value === 'object' && value !== null && 'error' in value;

/**
 * The service's API and outbox for one round of checks. Answers several checks share (a device's alarms, the outbox,
 * a township's collection report) are fetched once per round, so a later round sees what the service did meanwhile.
 */
export class ServiceApi {
  private readonly alarmLists = new Map<string, Promise<AlarmView[] | ApiFailure>>();
  private readonly reports = new Map<string, Promise<CollectionView[] | ApiFailure>>();
  private outboxLines: Promise<OutboxLine[] | undefined> | undefined;

  constructor(private readonly view: ServiceView) {}

  /** Where the outbox is read from, for a check that finds none. */
  get outboxFile(): string {
    return this.view.outboxFile;
  }

  /** The device's readings in [from, to], every page. */
  async readings(deviceId: string, from: number, to: number): Promise<ReadingKey[] | ApiFailure> {
    const items: ReadingKey[] = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ from: String(from), to: String(to), limit: '1000' });
      if (cursor) q.set('cursor', cursor);
      const path = `/devices/${encodeURIComponent(deviceId)}/readings?${q}`;
      const page = parsed(readingsPage, path, await this.view.get(path), `GET readings of ${deviceId}`);
      if (failed(page)) return page;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** Timestamp of the device's newest sample. */
  async latestTs(deviceId: string): Promise<number | ApiFailure> {
    const res = await this.view.get(`/devices/${encodeURIComponent(deviceId)}/latest`);
    if (res.status !== 200) return { error: `latest answered ${res.status || res.error}` };
    const body = parsed(latest, 'latest', res);
    return failed(body) ? body : body.ts;
  }

  /** Quarantine entries of the last two days published by `clientId`. */
  async quarantine(clientId: string): Promise<QuarantineView[] | ApiFailure> {
    const path = `/quarantine?${new URLSearchParams({ deviceId: clientId, limit: '500', days: '2' })}`;
    const res = await this.view.get(path);
    if (res.status !== 200) return { error: res.error ?? `GET /quarantine answered ${res.status}` };
    const page = parsed(quarantinePage, '/quarantine', res);
    return failed(page) ? page : page.items;
  }

  /** Open and closed alarms of a device (the API lists open ones unless asked for `state=closed`). */
  alarms(deviceId: string): Promise<AlarmView[] | ApiFailure> {
    return once(this.alarmLists, deviceId, async () => {
      const alarms = new Map<string, AlarmView>();
      for (const state of ['open', 'closed']) {
        const res = await this.view.get(`/alarms?${new URLSearchParams({ deviceId, state, limit: '500' })}`);
        if (res.status === 404)
          return { error: 'GET /alarms answered 404: the service has no alarms API yet' };
        const page = parsed(alarmPage, '/alarms', res);
        if (failed(page)) return page;
        for (const a of page.items) alarms.set(a.alarmId, a);
      }
      return [...alarms.values()];
    });
  }

  /** The SMS outbox; undefined when the service has written none. */
  outbox(): Promise<OutboxLine[] | undefined> {
    this.outboxLines ??= this.view.outbox();
    return this.outboxLines;
  }

  /** One bin's status and forecast. */
  async bin(binId: string): Promise<BinView | ApiFailure> {
    const path = `/bins/${encodeURIComponent(binId)}`;
    return parsed(bin, path, await this.view.get(path));
  }

  /** Ids of the township's bins that `GET /bins` lists as due within the ISO 8601 window. */
  async binsDue(township: string, window: string): Promise<string[] | ApiFailure> {
    const path = `/bins?${new URLSearchParams({ township, needsCollectionWithin: window })}`;
    const list = parsed(binList, path, await this.view.get(path));
    return failed(list) ? list : list.items.map((b) => b.binId);
  }

  /** Collection events of a township between two instants. */
  collections(township: string, from: number, to: number): Promise<CollectionView[] | ApiFailure> {
    const q = new URLSearchParams({
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      township,
    });
    const path = `/bins/collections?${q}`;
    return once(this.reports, path, async () => {
      const report = parsed(collectionReport, path, await this.view.get(path));
      return failed(report) ? report : report.townships.flatMap((t) => t.events);
    });
  }
}
