import { binSettingsFor } from '../functions/core/bins';
import type { DeviceKind } from '../functions/core/contract';
import type { Device } from '../functions/core/registry';
import { readJsonLinesFile } from '../functions/shared/json-lines';
import type { SampleKey } from './device';
import type { RunRecord } from './record';
import type { Audience, Count, OutcomeSpec, ScenarioInstance } from './scenarios/types';
import { residualMetric } from './signals/water';
import { HOUR_MS } from './time';

/** One checked outcome, printed as PASS/FAIL with what was expected and what was found. */
export interface CheckResult {
  scenario: string;
  check: OutcomeSpec['check'];
  subject: string;
  ok: boolean;
  expected: string;
  found: string;
}

export interface ServiceView {
  /** GET a JSON document from the API; `status` 0 when the API cannot be reached. */
  get(path: string): Promise<{ status: number; body: unknown; error?: string }>;
  /** The SMS outbox lines, parsed; undefined when the file does not exist. */
  outbox(): Promise<OutboxLine[] | undefined>;
  outboxFile: string;
}

export interface OutboxLine {
  at: string;
  to: string;
  audience: string;
  severity: string;
  siteId: string;
  deviceId: string;
  alarmId: string;
  lang: string;
  text: string;
}

interface Alarm {
  alarmId: string;
  deviceId: string;
  siteId?: string;
  condition?: string;
  metric?: string;
  severity?: string;
  state?: string;
  audience?: string | string[];
  raisedAt?: string | number;
  late?: boolean;
}

interface Reading {
  ts: number;
  seq: number;
  receivedAt?: number;
}

/** The local service over HTTP (bearer token) plus its SMS outbox file. */
export function httpServiceView(apiUrl: string, token: string, outboxFile: string): ServiceView {
  const base = apiUrl.replace(/\/+$/, '');
  return {
    outboxFile,
    async get(path) {
      try {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Keep the text: an error page is still worth showing.
        }
        return { status: res.status, body };
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        return {
          status: 0,
          body: undefined,
          error: `cannot reach ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        };
      }
    },
    async outbox() {
      return (await readJsonLinesFile(outboxFile)) as OutboxLine[] | undefined;
    },
  };
}

function describeCount(c: Count, what: string): string {
  if (c.max === c.min)
    return `${c.min === 0 ? 'no' : c.min === 1 ? 'exactly one' : `exactly ${c.min}`} ${what}`;
  if (c.max === undefined) return `at least ${c.min} ${what}`;
  return `${c.min}–${c.max} ${what}`;
}

const within = (n: number, c: Count) => n >= c.min && (c.max === undefined || n <= c.max);

function audienceFor(a: Audience | Record<DeviceKind, Audience>, kind: DeviceKind): Audience {
  return typeof a === 'string' ? a : a[kind];
}

function toMs(t: string | number | undefined): number | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'number' ? t : Date.parse(t);
}

/** A check bound to its subject, evaluated against the service (perhaps several times while ingest catches up). */
interface PlannedCheck {
  scenario: string;
  check: OutcomeSpec['check'];
  subject: string;
  expected: string;
  evaluate(view: ServiceView, cache: Map<string, Promise<unknown>>): Promise<{ ok: boolean; found: string }>;
}

export interface PlanContext {
  record: RunRecord;
  simStart: number;
  /** Entries the service made before this wall-clock time belong to earlier runs. */
  since: number;
  /** The run's seed: scenarios draw their ground truth from it. */
  seed: number;
}

/** Start of an instance's window at a device. */
function windowStart(instance: ScenarioInstance, deviceId: string, simStart: number): number {
  const lag = instance.affected.find((a) => a.device.id === deviceId)?.lagMs ?? 0;
  return simStart + instance.startOffsetMs + lag;
}

/** What a failed GET says: the transport error, or the status and the start of the body. */
function apiError(path: string, res: { status: number; body: unknown; error?: string }): string {
  return res.error ?? `GET ${path} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
}

async function fetchReadings(
  view: ServiceView,
  deviceId: string,
  from: number,
  to: number,
): Promise<{ items: Reading[] } | { error: string }> {
  const items: Reading[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({ from: String(from), to: String(to), limit: '1000' });
    if (cursor) q.set('cursor', cursor);
    const res = await view.get(`/devices/${encodeURIComponent(deviceId)}/readings?${q}`);
    if (res.status !== 200)
      return {
        error:
          res.error ??
          `GET readings of ${deviceId} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
      };
    const body = res.body as { items?: Reading[]; nextCursor?: string };
    items.push(...(body.items ?? []));
    cursor = body.nextCursor;
  } while (cursor);
  return { items };
}

type AlarmList = { alarms: Alarm[] } | { error: string };

/** Open and closed alarms of a device (the API lists open ones unless asked for `state=closed`). */
function fetchAlarms(
  view: ServiceView,
  deviceId: string,
  cache: Map<string, Promise<unknown>>,
): Promise<AlarmList> {
  const key = `alarms:${deviceId}`;
  const load = async (): Promise<AlarmList> => {
    const alarms = new Map<string, Alarm>();
    for (const state of ['open', 'closed']) {
      const res = await view.get(`/alarms?${new URLSearchParams({ deviceId, state, limit: '500' })}`);
      if (res.status === 404) return { error: 'GET /alarms answered 404: the service has no alarms API yet' };
      if (res.status !== 200) {
        return { error: apiError('/alarms', res) };
      }
      for (const a of (res.body as { items?: Alarm[] }).items ?? []) alarms.set(a.alarmId, a);
    }
    return { alarms: [...alarms.values()] };
  };
  if (!cache.has(key)) cache.set(key, load());
  return cache.get(key) as Promise<AlarmList>;
}

function fetchOutbox(view: ServiceView, cache: Map<string, Promise<unknown>>) {
  if (!cache.has('outbox')) cache.set('outbox', view.outbox());
  return cache.get('outbox') as Promise<OutboxLine[] | undefined>;
}

/** Checks that every acknowledged sample of these devices is readable exactly once, and nothing else arrived. */
function readingsCheck(
  instance: ScenarioInstance,
  devices: readonly Device[],
  ctx: PlanContext,
): PlannedCheck {
  const subjects = devices.filter((d) => ctx.record.acked.has(d.id));
  const total = subjects.reduce((n, d) => n + (ctx.record.acked.get(d.id)?.size ?? 0), 0);
  const subject = subjects.length === 1 ? (subjects[0] as Device).id : `${subjects.length} devices`;
  return {
    scenario: instance.label,
    check: 'readings',
    subject,
    expected: `${total} acknowledged samples readable, each exactly once, and no other readings from this run`,
    async evaluate(view) {
      if (subjects.length === 0)
        return { ok: false, found: 'no sample was acknowledged, so nothing can be read' };
      const problems: string[] = [];
      let readable = 0;
      const checkDevice = async (d: Device) => {
        const sent = ctx.record.acked.get(d.id) as Map<string, SampleKey>;
        const keys = [...sent.values()];
        const from = Math.min(...keys.map((k) => k.ts));
        const to = Math.max(...keys.map((k) => k.ts)) + 1;
        const got = await fetchReadings(view, d.id, from, to);
        if ('error' in got) {
          problems.push(got.error);
          return;
        }
        const seen = new Map<string, number>();
        for (const r of got.items) seen.set(`${r.ts}#${r.seq}`, (seen.get(`${r.ts}#${r.seq}`) ?? 0) + 1);
        const missing = keys.filter((k) => !seen.has(`${k.ts}#${k.seq}`));
        const doubled = [...seen].filter(([, n]) => n > 1);
        const extra = got.items.filter(
          (r) => !sent.has(`${r.ts}#${r.seq}`) && (r.receivedAt ?? 0) >= ctx.since,
        );
        readable += keys.length - missing.length;
        if (missing.length || doubled.length || extra.length) {
          const first = missing[0];
          problems.push(
            `${d.id}: ${missing.length} missing${first ? ` (first seq ${first.seq} at ${new Date(first.ts).toISOString()})` : ''}, ${doubled.length} stored more than once, ${extra.length} unexpected`,
          );
        }
      };
      // A few devices at a time: a big fleet is read in seconds without flooding the API.
      for (let i = 0; i < subjects.length; i += 8)
        await Promise.all(subjects.slice(i, i + 8).map(checkDevice));
      const head = `${readable}/${total} readable`;
      return problems.length === 0
        ? { ok: true, found: `${head}, none doubled` }
        : {
            ok: false,
            found: `${head}; ${problems.sort().slice(0, 5).join('; ')}${problems.length > 5 ? `; …${problems.length - 5} more` : ''}`,
          };
    },
  };
}

function backfillCheck(instance: ScenarioInstance, device: Device, ctx: PlanContext): PlannedCheck {
  const backlog = ctx.record.backlog.get(device.id) ?? [];
  const newest = ctx.record.newestTs(device.id);
  return {
    scenario: instance.label,
    check: 'backfill-order',
    subject: device.id,
    expected: `the ${backlog.length}-sample backlog stored in timestamp order; latest = newest sample ${newest === undefined ? '?' : new Date(newest).toISOString()}`,
    async evaluate(view) {
      if (backlog.length === 0 || newest === undefined) {
        return {
          ok: false,
          found:
            'no sample was held back: the run ended before the offline window, or nothing was acknowledged',
        };
      }
      const from = Math.min(...backlog.map((k) => k.ts));
      const got = await fetchReadings(view, device.id, from, newest + 1);
      if ('error' in got) return { ok: false, found: got.error };
      const stored = new Set(got.items.map((r) => `${r.ts}#${r.seq}`));
      const missing = backlog.filter((k) => !stored.has(`${k.ts}#${k.seq}`)).length;
      const ordered = got.items.every((r, i, all) => i === 0 || r.ts >= (all[i - 1] as Reading).ts);
      const latest = await view.get(`/devices/${encodeURIComponent(device.id)}/latest`);
      const latestTs = latest.status === 200 ? (latest.body as { ts?: number }).ts : undefined;
      const latestText =
        latestTs === undefined
          ? `latest answered ${latest.status || latest.error}`
          : `latest = ${new Date(latestTs).toISOString()}`;
      return {
        ok: missing === 0 && ordered && latestTs === newest,
        found: `${backlog.length - missing}/${backlog.length} stored, ${ordered ? 'in' : 'NOT in'} timestamp order, ${latestText}`,
      };
    },
  };
}

function quarantineChecks(instance: ScenarioInstance, ctx: PlanContext): PlannedCheck[] {
  const ids = new Set(instance.affected.map((a) => a.device.id));
  return ctx.record.malformed
    .filter((m) => ids.has(m.deviceId))
    .map((m) => {
      const rogue = m.clientId !== m.deviceId;
      return {
        scenario: instance.label,
        check: 'quarantine' as const,
        subject: rogue ? `${m.clientId} → ${m.topic}` : `${m.deviceId} → ${m.topic}`,
        expected: `one quarantine entry with reason ${m.reason}${rogue ? ', and the publisher disconnected by the broker' : ''}`,
        async evaluate(view) {
          if (m.result === 'failed') return { ok: false, found: 'the message never reached the broker' };
          const q = new URLSearchParams({ deviceId: m.clientId, limit: '500', days: '2' });
          const res = await view.get(`/quarantine?${q}`);
          if (res.status !== 200)
            return { ok: false, found: res.error ?? `GET /quarantine answered ${res.status}` };
          const payload = Buffer.from(m.payload).toString('base64');
          const entries = (
            (res.body as { items?: { at: string; topic: string; reason: string; payloadBase64: string }[] })
              .items ?? []
          ).filter(
            (e) => e.topic === m.topic && e.payloadBase64 === payload && Date.parse(e.at) >= ctx.since,
          );
          const reasons = entries.map((e) => e.reason);
          const refusedOk = !rogue || m.result === 'refused';
          return {
            ok: entries.length === 1 && reasons[0] === m.reason && refusedOk,
            found: `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${reasons.length ? ` (${reasons.join(', ')})` : ''}${rogue ? `; publisher ${m.result === 'refused' ? 'disconnected' : `not disconnected (${m.result})`}` : ''}`,
          };
        },
      };
    });
}

function alarmCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'alarm' }>,
  device: Device,
  ctx: PlanContext,
): PlannedCheck {
  const metric =
    spec.metric === '$residual'
      ? device.kind === 'water'
        ? residualMetric(device)
        : undefined
      : spec.metric === '$metric'
        ? instance.params.metric
        : spec.metric;
  const audience = spec.audience ? audienceFor(spec.audience, device.kind) : undefined;
  const start = windowStart(instance, device.id, ctx.simStart);
  const what = [
    spec.severity ?? 'any-severity',
    'alarm',
    metric ? `on ${metric}` : '',
    audience ? `for ${audience}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    scenario: instance.label,
    check: 'alarm',
    subject: device.id,
    expected: describeCount(spec.count, what),
    async evaluate(view, cache) {
      const reached = [...(ctx.record.acked.get(device.id)?.values() ?? [])].some((k) => k.ts >= start);
      if (!reached)
        return { ok: false, found: `the scenario never reached ${device.id}: no sample after its start` };
      const res = await fetchAlarms(view, device.id, cache);
      if ('error' in res) return { ok: false, found: res.error };
      const since = Math.min(ctx.since, start);
      const all = res.alarms.filter((a) => a.deviceId === device.id);
      const matching = all.filter(
        (a) =>
          (!spec.severity || a.severity === spec.severity) &&
          (!metric || a.metric === metric) &&
          (!audience ||
            (Array.isArray(a.audience) ? a.audience.includes(audience) : a.audience === audience)) &&
          (toMs(a.raisedAt) ?? since) >= since,
      );
      const describe = (a: Alarm) =>
        [a.alarmId, a.severity, a.condition ?? a.metric, a.state, a.late ? 'late' : '']
          .filter(Boolean)
          .join(' ');
      const others = all.filter((a) => !matching.includes(a));
      return {
        ok: within(matching.length, spec.count),
        found: `${matching.length} matching${matching.length ? ` (${matching.map(describe).join(', ')})` : ''}${others.length ? `; other alarms at the device: ${others.slice(0, 3).map(describe).join(', ')}` : ''}`,
      };
    },
  };
}

function smsCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'sms' }>,
  devices: readonly Device[],
  ctx: PlanContext,
): PlannedCheck {
  const ids = new Set(devices.map((d) => d.id));
  const first = devices[0] as Device;
  const audience = audienceFor(spec.audience, first.kind);
  return {
    scenario: instance.label,
    check: 'sms',
    subject: devices.length === 1 ? first.id : `${devices.length} devices`,
    expected: `${describeCount(spec.count, spec.severity ? `${spec.severity} SMS` : 'SMS')} to each ${audience} recipient, naming ${devices.length === 1 ? 'the device' : 'one of them'}`,
    async evaluate(view, cache) {
      const lines = await fetchOutbox(view, cache);
      if (lines === undefined) {
        return { ok: within(0, spec.count), found: `no outbox file at ${view.outboxFile}` };
      }
      const matching = lines.filter(
        (l) =>
          ids.has(l.deviceId) &&
          l.audience === audience &&
          (!spec.severity || l.severity === spec.severity) &&
          (Date.parse(l.at) || 0) >= ctx.since,
      );
      // The outbox holds one line per recipient: judge what each recipient received.
      const perRecipient = new Map<string, number>();
      for (const l of matching) perRecipient.set(l.to, (perRecipient.get(l.to) ?? 0) + 1);
      const counts = [...perRecipient.values()];
      const alarms = new Set(matching.map((l) => l.alarmId));
      return {
        ok: counts.length === 0 ? within(0, spec.count) : counts.every((n) => within(n, spec.count)),
        found:
          matching.length === 0
            ? 'no SMS'
            : `${perRecipient.size} recipient(s) got ${[...new Set(counts)].join(' or ')} SMS each, about ${alarms.size} alarm(s); first: "${(matching[0] as OutboxLine).text.slice(0, 70)}"`,
      };
    },
  };
}

/** A bin as `GET /bins/{id}` and the collection list present it (the fields the checks read). */
interface BinView {
  binId: string;
  forecast: string;
  reason: string | null;
  ratePctPerHour: number | null;
  thresholdPct: number;
  thresholdAt: string | null;
  aboveThreshold: boolean;
  lastReadingAt: string | null;
}

const isoOrDash = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString());
const signedMinutes = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.round(Math.abs(ms) / 60_000)} min`;
/** The window `GET /bins` takes, in whole seconds (ISO 8601). */
const isoWindow = (ms: number) => `PT${Math.max(0, Math.round(ms / 1000))}S`;

/** Acknowledged sample times of a device at or after `from`, ascending. */
function sentSince(ctx: PlanContext, deviceId: string, from: number): number[] {
  return [...(ctx.record.acked.get(deviceId)?.values() ?? [])]
    .map((k) => k.ts)
    .filter((ts) => ts >= from)
    .sort((a, b) => a - b);
}

function forecastCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'forecast' }>,
  device: Device,
  ctx: PlanContext,
): PlannedCheck {
  const start = windowStart(instance, device.id, ctx.simStart);
  const line = spec.truth({ device, params: instance.params, start, seed: ctx.seed });
  const pct = (share: number) => `${Math.round(share * 100)} %`;
  return {
    scenario: instance.label,
    check: 'forecast',
    subject: device.id,
    expected: `fill rate ${line.ratePctPerHour} %/h ± ${pct(spec.maxRateError)}; threshold crossing within ${pct(spec.maxErrorShare)} of the time that remained (at least two reporting intervals); listed by GET /bins for a window just past the true crossing, not for one just short of it`,
    async evaluate(view) {
      const sent = sentSince(ctx, device.id, start);
      const newest = sent.at(-1);
      if (newest === undefined)
        return { ok: false, found: `the scenario never reached ${device.id}: no sample after its start` };
      const path = `/bins/${encodeURIComponent(device.id)}`;
      const res = await view.get(path);
      if (res.status !== 200) return { ok: false, found: apiError(path, res) };
      const bin = res.body as BinView;
      const lastAt = bin.lastReadingAt === null ? undefined : Date.parse(bin.lastReadingAt);
      if (lastAt === undefined || lastAt < newest)
        return {
          ok: false,
          found: `the service's newest reading is ${isoOrDash(lastAt)}; the run sent up to ${isoOrDash(newest)} (ingest still catching up?)`,
        };
      if (bin.forecast !== 'ok' || bin.ratePctPerHour === null || bin.thresholdAt === null)
        return { ok: false, found: `no forecast: ${bin.forecast}${bin.reason ? ` (${bin.reason})` : ''}` };
      if (line.fromPct >= bin.thresholdPct)
        return {
          ok: false,
          found: `the scenario starts at ${line.fromPct} %, at or above the bin's threshold of ${bin.thresholdPct} %: nothing to forecast`,
        };
      const rateError = (bin.ratePctPerHour - line.ratePctPerHour) / line.ratePctPerHour;
      const trueAt = line.fromTs + ((bin.thresholdPct - line.fromPct) / line.ratePctPerHour) * HOUR_MS;
      const forecastAt = Date.parse(bin.thresholdAt);
      const interval = sent.length > 1 ? (newest - (sent[0] as number)) / (sent.length - 1) : HOUR_MS;
      const remaining = trueAt - lastAt;
      const tolerance = Math.max(spec.maxErrorShare * remaining, 2 * interval);
      const error = forecastAt - trueAt;
      const forecastOk = Math.abs(rateError) <= spec.maxRateError && Math.abs(error) <= tolerance;
      const share =
        remaining > 0
          ? ` = ${((Math.abs(error) / remaining) * 100).toFixed(1)} % of the ${(remaining / HOUR_MS).toFixed(1)} h that remained`
          : ' (crossed before the newest reading)';
      const head = `rate ${bin.ratePctPerHour} %/h (${rateError >= 0 ? '+' : '−'}${Math.abs(rateError * 100).toFixed(1)} %); ${bin.thresholdPct} % forecast at ${isoOrDash(forecastAt)}, true ${isoOrDash(trueAt)}, error ${signedMinutes(error)}${share}`;

      // The list judges `thresholdAt <= now + window`: a window ending past the tolerance must list the bin, one
      // ending before it must not (unless the bin is already above its threshold).
      const listed = async (windowMs: number): Promise<boolean | string> => {
        const q = new URLSearchParams({
          township: device.township,
          needsCollectionWithin: isoWindow(windowMs),
        });
        const r = await view.get(`/bins?${q}`);
        if (r.status !== 200) return apiError(`/bins?${q}`, r);
        return ((r.body as { items?: BinView[] }).items ?? []).some((b) => b.binId === device.id);
      };
      const now = Date.now();
      const longWindow = trueAt + tolerance - now;
      const shortWindow = trueAt - tolerance - now;
      const inLong = await listed(longWindow);
      if (typeof inLong === 'string') return { ok: false, found: `${head}; ${inLong}` };
      let listText = `${inLong ? 'listed' : 'NOT listed'} within ${isoWindow(longWindow)}`;
      let listOk = inLong;
      if (shortWindow > 0 && !bin.aboveThreshold) {
        const inShort = await listed(shortWindow);
        if (typeof inShort === 'string') return { ok: false, found: `${head}; ${inShort}` };
        listText += `, ${inShort ? 'but also' : 'not'} within ${isoWindow(shortWindow)}`;
        listOk &&= !inShort;
      } else {
        listText += '; the crossing is due now, so no shorter window can leave it out';
      }
      return { ok: forecastOk && listOk, found: `${head}; ${listText}` };
    },
  };
}

function collectionsCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'collections' }>,
  device: Device,
  ctx: PlanContext,
  reportTo: number,
): PlannedCheck {
  const start = windowStart(instance, device.id, ctx.simStart);
  const round = spec.roundAt({ device, params: instance.params, start, seed: ctx.seed });
  const { collectedFromPct: fromPct, collectedToPct: toPct } = binSettingsFor(
    device.kind === 'bin' ? device : {},
  );
  return {
    scenario: instance.label,
    check: 'collections',
    subject: device.id,
    expected: `${describeCount(spec.count, 'collection event')} in GET /bins/collections, at its first sample on or after the round (${isoOrDash(round)}), from ≥ ${fromPct} % to ≤ ${toPct} %`,
    async evaluate(view, cache) {
      const sent = sentSince(ctx, device.id, start);
      const emptied = sent.find((ts) => ts >= round);
      if (emptied === undefined)
        return {
          ok: false,
          found: `the run ended before the round reached ${device.id} (${isoOrDash(round)}): lengthen the run or set :round_after=`,
        };
      const q = new URLSearchParams({
        from: new Date(start).toISOString(),
        to: new Date(reportTo).toISOString(),
        township: device.township,
      });
      const path = `/bins/collections?${q}`;
      if (!cache.has(path)) cache.set(path, view.get(path));
      const res = (await cache.get(path)) as Awaited<ReturnType<ServiceView['get']>>;
      if (res.status !== 200) return { ok: false, found: apiError(path, res) };
      const body = res.body as {
        townships?: { events?: { binId: string; at: string; fromPct: number; toPct: number }[] }[];
      };
      const events = (body.townships ?? [])
        .flatMap((t) => t.events ?? [])
        .filter((e) => e.binId === device.id);
      const wrong = events.filter(
        (e) => Date.parse(e.at) !== emptied || e.fromPct < fromPct || e.toPct > toPct,
      );
      const describe = (e: { at: string; fromPct: number; toPct: number }) =>
        `${e.at} ${e.fromPct} % → ${e.toPct} %`;
      return {
        ok: within(events.length, spec.count) && wrong.length === 0,
        found: `${events.length} event${events.length === 1 ? '' : 's'}${events.length ? ` (${events.map(describe).join(', ')})` : ''}${wrong.length ? `; expected the emptying at ${isoOrDash(emptied)}` : ''}`,
      };
    },
  };
}

/** Turns every instance's outcomes into concrete checks against this run's devices and deliveries. */
export function planChecks(instances: readonly ScenarioInstance[], ctx: PlanContext): PlannedCheck[] {
  const checks: PlannedCheck[] = [];
  for (const instance of instances) {
    const devices = instance.affected.map((a) => a.device);
    for (const spec of instance.def.outcomes) {
      switch (spec.check) {
        case 'readings':
          checks.push(readingsCheck(instance, devices, ctx));
          break;
        case 'backfill-order':
          for (const d of devices) checks.push(backfillCheck(instance, d, ctx));
          break;
        case 'quarantine': {
          const planned = quarantineChecks(instance, ctx);
          checks.push(
            ...(planned.length > 0
              ? planned
              : [
                  {
                    scenario: instance.label,
                    check: 'quarantine' as const,
                    subject: devices.map((d) => d.id).join(', '),
                    expected: 'bad messages sent and quarantined',
                    evaluate: async () => ({
                      ok: false,
                      found: 'no malformed message was sent: the run ended before the window',
                    }),
                  },
                ]),
          );
          break;
        }
        case 'alarm':
          for (const d of devices) {
            if (spec.treatedOnly && d.kind === 'water' && d.measurementPoint === 'source') continue;
            checks.push(alarmCheck(instance, spec, d, ctx));
          }
          break;
        case 'sms':
          if (spec.per === 'scenario') checks.push(smsCheck(instance, spec, devices, ctx));
          else for (const d of devices) checks.push(smsCheck(instance, spec, [d], ctx));
          break;
        case 'forecast':
          for (const d of devices) checks.push(forecastCheck(instance, spec, d, ctx));
          break;
        case 'collections': {
          // One report window for the scenario (its start to its newest sample), so bins of a township share a query.
          const newest = Math.max(0, ...devices.map((d) => ctx.record.newestTs(d.id) ?? 0));
          for (const d of devices) checks.push(collectionsCheck(instance, spec, d, ctx, newest + 1));
          break;
        }
      }
    }
  }
  return checks;
}

export interface ExpectOptions {
  /** Give up waiting for the service to catch up after this long. */
  timeoutMs: number;
  pollMs?: number;
  /** Once everything passes, look again after this long, so "exactly one" is not judged too early. */
  settleMs?: number;
  signal?: AbortSignal;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Evaluates the checks until all pass (then once more after a settle time) or the timeout passes; ingest is
 * asynchronous, so the first look may be too early.
 */
export async function runChecks(
  checks: readonly PlannedCheck[],
  view: ServiceView,
  options: ExpectOptions,
): Promise<CheckResult[]> {
  const deadline = Date.now() + options.timeoutMs;
  const evaluate = async () => {
    const cache = new Map<string, Promise<unknown>>();
    const results: CheckResult[] = [];
    for (const c of checks) {
      const { ok, found } = await c.evaluate(view, cache);
      results.push({
        scenario: c.scenario,
        check: c.check,
        subject: c.subject,
        ok,
        expected: c.expected,
        found,
      });
    }
    return results;
  };
  let results = await evaluate();
  while (!results.every((r) => r.ok) && Date.now() < deadline && !options.signal?.aborted) {
    await pause(options.pollMs ?? 500);
    results = await evaluate();
  }
  if (results.every((r) => r.ok) && (options.settleMs ?? 0) > 0) {
    await pause(options.settleMs ?? 0);
    results = await evaluate();
  }
  return results;
}

/**
 * Devices for which the service already holds samples newer than `simStart`: a run that starts there interleaves its
 * samples with the earlier ones, and the service judges the mixture (e.g. a breach no longer holds for N samples).
 */
export async function devicesAhead(
  view: ServiceView,
  deviceIds: readonly string[],
  simStart: number,
): Promise<{ deviceId: string; latest: number }[]> {
  const ahead: { deviceId: string; latest: number }[] = [];
  for (let i = 0; i < deviceIds.length; i += 8) {
    await Promise.all(
      deviceIds.slice(i, i + 8).map(async (deviceId) => {
        const res = await view.get(`/devices/${encodeURIComponent(deviceId)}/latest`);
        const ts = res.status === 200 ? (res.body as { ts?: number }).ts : undefined;
        if (ts !== undefined && ts >= simStart) ahead.push({ deviceId, latest: ts });
      }),
    );
  }
  return ahead.sort((a, b) => b.latest - a.latest);
}
