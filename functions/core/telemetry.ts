import { z } from 'zod';
import {
  CONTRACT_LIMITS,
  type DeviceKind,
  METRIC_NAME_PATTERN,
  type MetricValue,
  parseTelemetryTopic,
  type RejectionReason,
  telemetryTopic,
} from '../contract';
import { readingItemSize } from './reading-item';

/**
 * A telemetry message as the service holds it, and its parsing against device contract v1 (`functions/contract`;
 * README "Device contract (v1)", docs/architecture.md). Parsing is atomic per message: a message is accepted whole
 * or quarantined whole.
 */

export interface Sample {
  /** Sample time, epoch milliseconds. */
  ts: number;
  /** Per-device counter; (deviceId, ts, seq) identifies a sample, so redelivery is idempotent. */
  seq: number;
  m: Record<string, MetricValue>;
  batteryPct?: number;
}

export interface TelemetryMessage {
  deviceId: string;
  kind: DeviceKind;
  /** Sorted by (ts, seq), duplicates inside the message removed. */
  samples: Sample[];
}

interface Rejection {
  reason: RejectionReason;
  /** What a firmware engineer should fix, in one sentence. */
  message: string;
  deviceId?: string;
}

export type ParseResult = { ok: true; message: TelemetryMessage } | ({ ok: false } & Rejection);

export interface TelemetryInput {
  topic: string;
  payload: Uint8Array;
  /** MQTT client id of the publisher when known (IoT rule `clientid()`, local broker). */
  clientId?: string;
  /** Time the broker received the message, epoch ms; the reference for timestamp checks. */
  receivedAt: number;
}

const timestamp = z.union([z.number().int(), z.iso.datetime({ offset: true })], {
  error: 'ts must be an integer number of epoch milliseconds or an ISO-8601 date-time with offset',
});

const metrics = z
  .record(
    z
      .string()
      .regex(METRIC_NAME_PATTERN, 'metric names are lower_snake_case with their unit, e.g. turbidity_ntu'),
    z.union([z.number().refine(Number.isFinite), z.boolean()], {
      error: 'metric values must be finite numbers or booleans',
    }),
  )
  .refine((m) => Object.keys(m).length > 0, 'm must hold at least one metric')
  .refine(
    (m) => Object.keys(m).length <= CONTRACT_LIMITS.maxMetricsPerSample,
    `at most ${CONTRACT_LIMITS.maxMetricsPerSample} metrics per sample`,
  );

const battery = z.number().min(0).max(100);

const sampleSchema = z.object({
  ts: timestamp,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  m: metrics,
  battery_pct: battery.optional(),
});

const singleSchema = sampleSchema.extend({ v: z.literal(1) });
const batchSchema = z.object({
  v: z.literal(1),
  samples: z.array(sampleSchema).min(1, 'samples must not be empty'),
  battery_pct: battery.optional(),
});

type Rejected = { ok: false } & Rejection;

/** One parsing step's outcome: the value it produced, or the rejection that ends the parse. */
type Step<T> = { ok: true; value: T } | Rejected;

type RawSample = z.infer<typeof sampleSchema>;

/** The payload after schema validation: its samples, and the batch-level battery reading if any. */
interface RawMessage {
  samples: RawSample[];
  battery?: number;
}

function reject(reason: RejectionReason, message: string, deviceId?: string): Rejected {
  return deviceId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, deviceId };
}

const accept = <T>(value: T): Step<T> => ({ ok: true, value });

/** zod wraps a record key's own explanation in an `invalid_key` issue; surface the explanation. */
function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues.length > 0) return issue.issues.map(explain).join('; ');
  return issue.message;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${explain(i)}`)
    .join('; ');
}

function toEpochMs(ts: number | string): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}

/** The largest |epoch ms| a Date holds; `toISOString` throws beyond it, so no time is formatted unchecked. */
const MAX_DATE_MS = 8.64e15;

/** A time for a rejection message: ISO-8601 when it is a valid date, otherwise the raw number. */
function describeTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : `${ms} ms`;
}

/** A value for a rejection message, without serialising a (possibly deeply nested) structure. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value === null ? 'null' : 'an object';
  return JSON.stringify(value).slice(0, 40);
}

/** Whether DynamoDB stores the number and the SDK writes it, so it reads back exactly. */
export function isStorableNumber(v: number): boolean {
  const abs = Math.abs(v);
  return (
    Number.isFinite(v) &&
    abs <= CONTRACT_LIMITS.maxAbsValue &&
    (abs === 0 || abs >= CONTRACT_LIMITS.minAbsValue)
  );
}

/** -0 is stored as 0; normalising it here keeps a stored sample equal to the parsed one. */
const positiveZero = (v: number) => (v === 0 ? 0 : v);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Finds a reserved metric name in the raw JSON. Checked before the schema, because a record schema drops an own
 * `__proto__` key silently: the device would lose a metric without being told.
 */
function reservedMetricName(json: Record<string, unknown>): string | undefined {
  const maps: [string, unknown][] = [];
  if (Object.hasOwn(json, 'samples') && Array.isArray(json.samples)) {
    json.samples.forEach((s: unknown, i) => {
      if (isPlainObject(s) && Object.hasOwn(s, 'm')) maps.push([`samples.${i}.m`, s.m]);
    });
  } else if (Object.hasOwn(json, 'm')) {
    maps.push(['m', json.m]);
  }
  for (const [path, m] of maps) {
    if (!isPlainObject(m)) continue;
    const name = Object.keys(m).find((k) => Object.hasOwn(Object.prototype, k));
    if (name !== undefined) return `${path}.${name}`;
  }
  return undefined;
}

const VALUE_RANGE = `0 or ${CONTRACT_LIMITS.minAbsValue} to ${CONTRACT_LIMITS.maxAbsValue} in magnitude`;

/** The device the topic names, provided the publisher (when known) is that device. */
function checkRoute(input: TelemetryInput): Step<{ deviceId: string; kind: DeviceKind }> {
  const route = parseTelemetryTopic(input.topic);
  if (!route) {
    return reject(
      'bad_topic',
      `topic "${input.topic}" is not dt/water/<deviceId> or dt/bin/<deviceId> with a device id of [A-Za-z0-9_-]{1,64}`,
    );
  }
  const { deviceId, kind } = route;
  if (input.clientId !== undefined && input.clientId !== deviceId) {
    return reject(
      'topic_mismatch',
      `client "${input.clientId}" published on the topic of device "${deviceId}"; a device may publish only to ${telemetryTopic(kind, '<its own client id>')}`,
      input.clientId,
    );
  }
  return accept({ deviceId, kind });
}

function checkSize(payload: Uint8Array, deviceId: string): Rejected | undefined {
  if (payload.byteLength <= CONTRACT_LIMITS.maxMessageBytes) return undefined;
  return reject(
    'oversize',
    `message is ${payload.byteLength} bytes; the maximum is ${CONTRACT_LIMITS.maxMessageBytes}: split the backfill into smaller samples batches`,
    deviceId,
  );
}

function decodeObject(payload: Uint8Array, deviceId: string): Step<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    return reject('not_json', `payload is not UTF-8 JSON: ${(err as Error).message}`, deviceId);
  }
  if (!isPlainObject(json)) {
    return reject(
      'bad_shape',
      'payload must be a JSON object like {"v":1,"ts":...,"seq":...,"m":{...}}',
      deviceId,
    );
  }
  return accept(json);
}

function checkVersion(json: Record<string, unknown>, deviceId: string): Rejected | undefined {
  const version = Object.hasOwn(json, 'v') ? json.v : undefined;
  if (version === 1) return undefined;
  return reject(
    'unsupported_version',
    `payload version v=${describeValue(version)} is not supported; send "v":1`,
    deviceId,
  );
}

function checkReservedNames(json: Record<string, unknown>, deviceId: string): Rejected | undefined {
  const reserved = reservedMetricName(json);
  if (reserved === undefined) return undefined;
  return reject(
    'bad_shape',
    `${reserved}: "${reserved.split('.').at(-1)}" is a reserved name (a JavaScript object property): rename the metric, with its unit, e.g. turbidity_ntu`,
    deviceId,
  );
}

/** A single sample or a batch, validated by the schema; a batch's length is checked first, before zod walks it. */
function validateShape(json: Record<string, unknown>, deviceId: string): Step<RawMessage> {
  if (!Object.hasOwn(json, 'samples')) {
    const parsed = singleSchema.safeParse(json);
    if (!parsed.success) return reject('bad_shape', formatIssues(parsed.error), deviceId);
    return accept({ samples: [parsed.data] });
  }
  const samples = json.samples;
  if (Array.isArray(samples) && samples.length > CONTRACT_LIMITS.maxSamplesPerMessage) {
    return reject(
      'too_many_samples',
      `batch holds ${samples.length} samples; the maximum is ${CONTRACT_LIMITS.maxSamplesPerMessage} per message`,
      deviceId,
    );
  }
  const parsed = batchSchema.safeParse(json);
  if (!parsed.success) return reject('bad_shape', formatIssues(parsed.error), deviceId);
  return accept({ samples: parsed.data.samples, battery: parsed.data.battery_pct });
}

/** Where a sample sits in its message, for its checks and their messages. */
interface SampleContext {
  deviceId: string;
  receivedAt: number;
  index: number;
  /** `samples.<i>.` in a batch of more than one, else empty. */
  prefix: string;
  batteryPct: number | undefined;
}

// Range checks compare numbers only; times are formatted through describeTime, which never throws.
function checkTime(raw: RawSample['ts'], at: SampleContext): Step<number> {
  const ts = toEpochMs(raw);
  const where = `${at.prefix}ts`;
  if (!Number.isSafeInteger(ts)) {
    return reject('bad_shape', `${where}: ${describeValue(raw)} is not a valid time`, at.deviceId);
  }
  if (ts > at.receivedAt + CONTRACT_LIMITS.maxFutureMs) {
    return reject(
      'ts_in_future',
      `${where} ${describeTime(ts)} is more than 24 h after the time received (${describeTime(at.receivedAt)}): check the device clock (NTP)`,
      at.deviceId,
    );
  }
  if (ts < CONTRACT_LIMITS.earliestTs) {
    return reject(
      'ts_too_old',
      `${where} ${describeTime(ts)} is before 2020-01-01: the device clock is unset or ts is in seconds, not milliseconds`,
      at.deviceId,
    );
  }
  return accept(ts);
}

function checkMetrics(raw: RawSample['m'], at: SampleContext): Step<Record<string, MetricValue>> {
  const m: Record<string, MetricValue> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'number' && !isStorableNumber(value)) {
      return reject(
        'bad_value',
        `${at.prefix}m.${name}: ${value} is outside the stored range (${VALUE_RANGE}): send it in a unit that brings it into range, or send 0`,
        at.deviceId,
      );
    }
    m[name] = typeof value === 'number' ? positiveZero(value) : value;
  }
  return accept(m);
}

function checkBattery(batteryPct: number, deviceId: string): Step<number> {
  if (!isStorableNumber(batteryPct)) {
    return reject(
      'bad_value',
      `battery_pct ${batteryPct} is outside the stored range (${VALUE_RANGE}): send a percentage such as 87 or 87.5`,
      deviceId,
    );
  }
  return accept(positiveZero(batteryPct));
}

function checkItemSize(sample: Sample, at: SampleContext): Step<Sample> {
  const size = readingItemSize(at.deviceId, sample);
  if (size > CONTRACT_LIMITS.maxItemBytes) {
    return reject(
      'sample_too_large',
      `sample ${at.index} would be stored as ${size} bytes; one sample must fit ${CONTRACT_LIMITS.maxItemBytes} bytes: send fewer or shorter metric names`,
      at.deviceId,
    );
  }
  return accept(sample);
}

function checkSample(raw: RawSample, at: SampleContext): Step<Sample> {
  const ts = checkTime(raw.ts, at);
  if (!ts.ok) return ts;
  const m = checkMetrics(raw.m, at);
  if (!m.ok) return m;
  const sample: Sample = { ts: ts.value, seq: positiveZero(raw.seq), m: m.value };
  if (at.batteryPct !== undefined) {
    const battery = checkBattery(at.batteryPct, at.deviceId);
    if (!battery.ok) return battery;
    sample.batteryPct = battery.value;
  }
  return checkItemSize(sample, at);
}

/** The newest sample's index: a batch-level battery_pct was read when the batch was sent, so it belongs there. */
function newestIndex(samples: readonly RawSample[]): number {
  return samples.reduce(
    (best, s, i, all) => (toEpochMs(s.ts) >= toEpochMs((all[best] ?? s).ts) ? i : best),
    0,
  );
}

/** Every sample checked in message order; the first that fails rejects the message. */
function checkSamples(raw: RawMessage, deviceId: string, receivedAt: number): Step<Sample[]> {
  const batteryIndex = newestIndex(raw.samples);
  const samples: Sample[] = [];
  for (const [index, s] of raw.samples.entries()) {
    const sample = checkSample(s, {
      deviceId,
      receivedAt,
      index,
      prefix: raw.samples.length > 1 ? `samples.${index}.` : '',
      batteryPct: s.battery_pct ?? (index === batteryIndex ? raw.battery : undefined),
    });
    if (!sample.ok) return sample;
    samples.push(sample.value);
  }
  return accept(samples);
}

/** Sorted by (ts, seq); samples sharing both collapse to the last of them, so a repeat within a message is harmless. */
function dedupeSorted(samples: readonly Sample[]): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const s of samples) byKey.set(`${s.ts}#${s.seq}`, s);
  return [...byKey.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

/**
 * Parses and validates one MQTT message against contract v1. Pure: the caller supplies the receive time.
 * Registry checks (unknown device, wrong kind) happen in the ingest use case.
 */
export function parseTelemetry(input: TelemetryInput): ParseResult {
  const route = checkRoute(input);
  if (!route.ok) return route;
  const { deviceId, kind } = route.value;
  const early = checkSize(input.payload, deviceId);
  if (early) return early;
  const json = decodeObject(input.payload, deviceId);
  if (!json.ok) return json;
  const invalid = checkVersion(json.value, deviceId) ?? checkReservedNames(json.value, deviceId);
  if (invalid) return invalid;
  const raw = validateShape(json.value, deviceId);
  if (!raw.ok) return raw;
  const samples = checkSamples(raw.value, deviceId, input.receivedAt);
  if (!samples.ok) return samples;
  return { ok: true, message: { deviceId, kind, samples: dedupeSorted(samples.value) } };
}
