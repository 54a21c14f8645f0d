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

function reject(reason: RejectionReason, message: string, deviceId?: string): ParseResult {
  return deviceId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, deviceId };
}

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

/**
 * Parses and validates one MQTT message against contract v1. Pure: the caller supplies the receive time.
 * Registry checks (unknown device, wrong kind) happen in the ingest use case.
 */
export function parseTelemetry(input: TelemetryInput): ParseResult {
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
  if (input.payload.byteLength > CONTRACT_LIMITS.maxMessageBytes) {
    return reject(
      'oversize',
      `message is ${input.payload.byteLength} bytes; the maximum is ${CONTRACT_LIMITS.maxMessageBytes}: split the backfill into smaller samples batches`,
      deviceId,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input.payload));
  } catch (err) {
    return reject('not_json', `payload is not UTF-8 JSON: ${(err as Error).message}`, deviceId);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return reject(
      'bad_shape',
      'payload must be a JSON object like {"v":1,"ts":...,"seq":...,"m":{...}}',
      deviceId,
    );
  }
  const version = Object.hasOwn(json, 'v') ? (json as { v?: unknown }).v : undefined;
  if (version !== 1) {
    return reject(
      'unsupported_version',
      `payload version v=${describeValue(version)} is not supported; send "v":1`,
      deviceId,
    );
  }
  const reserved = reservedMetricName(json as Record<string, unknown>);
  if (reserved !== undefined) {
    return reject(
      'bad_shape',
      `${reserved}: "${reserved.split('.').at(-1)}" is a reserved name (a JavaScript object property): rename the metric, with its unit, e.g. turbidity_ntu`,
      deviceId,
    );
  }

  let raw: { samples: z.infer<typeof sampleSchema>[]; battery?: number };
  if (Object.hasOwn(json, 'samples')) {
    const samples = (json as { samples?: unknown }).samples;
    if (Array.isArray(samples) && samples.length > CONTRACT_LIMITS.maxSamplesPerMessage) {
      return reject(
        'too_many_samples',
        `batch holds ${samples.length} samples; the maximum is ${CONTRACT_LIMITS.maxSamplesPerMessage} per message`,
        deviceId,
      );
    }
    const parsed = batchSchema.safeParse(json);
    if (!parsed.success) return reject('bad_shape', formatIssues(parsed.error), deviceId);
    raw = { samples: parsed.data.samples, battery: parsed.data.battery_pct };
  } else {
    const parsed = singleSchema.safeParse(json);
    if (!parsed.success) return reject('bad_shape', formatIssues(parsed.error), deviceId);
    raw = { samples: [parsed.data] };
  }

  // A batch-level battery_pct was read when the batch was sent, so it belongs to the newest sample.
  const newestIndex = raw.samples.reduce(
    (best, s, i, all) => (toEpochMs(s.ts) >= toEpochMs((all[best] ?? s).ts) ? i : best),
    0,
  );
  const byKey = new Map<string, Sample>();
  for (const [index, s] of raw.samples.entries()) {
    const ts = toEpochMs(s.ts);
    const prefix = raw.samples.length > 1 ? `samples.${index}.` : '';
    const where = `${prefix}ts`;
    // Range checks compare numbers only; times are formatted through describeTime, which never throws.
    if (!Number.isSafeInteger(ts)) {
      return reject('bad_shape', `${where}: ${describeValue(s.ts)} is not a valid time`, deviceId);
    }
    if (ts > input.receivedAt + CONTRACT_LIMITS.maxFutureMs) {
      return reject(
        'ts_in_future',
        `${where} ${describeTime(ts)} is more than 24 h after the time received (${describeTime(input.receivedAt)}): check the device clock (NTP)`,
        deviceId,
      );
    }
    if (ts < CONTRACT_LIMITS.earliestTs) {
      return reject(
        'ts_too_old',
        `${where} ${describeTime(ts)} is before 2020-01-01: the device clock is unset or ts is in seconds, not milliseconds`,
        deviceId,
      );
    }
    const m: Record<string, MetricValue> = {};
    for (const [name, value] of Object.entries(s.m)) {
      if (typeof value === 'number' && !isStorableNumber(value)) {
        return reject(
          'bad_value',
          `${prefix}m.${name}: ${value} is outside the stored range (${VALUE_RANGE}): send it in a unit that brings it into range, or send 0`,
          deviceId,
        );
      }
      m[name] = typeof value === 'number' ? positiveZero(value) : value;
    }
    const sample: Sample = { ts, seq: positiveZero(s.seq), m };
    const batteryPct = s.battery_pct ?? (index === newestIndex ? raw.battery : undefined);
    if (batteryPct !== undefined) {
      if (!isStorableNumber(batteryPct)) {
        return reject(
          'bad_value',
          `battery_pct ${batteryPct} is outside the stored range (${VALUE_RANGE}): send a percentage such as 87 or 87.5`,
          deviceId,
        );
      }
      sample.batteryPct = positiveZero(batteryPct);
    }
    const size = readingItemSize(deviceId, sample);
    if (size > CONTRACT_LIMITS.maxItemBytes) {
      return reject(
        'sample_too_large',
        `sample ${index} would be stored as ${size} bytes; one sample must fit ${CONTRACT_LIMITS.maxItemBytes} bytes: send fewer or shorter metric names`,
        deviceId,
      );
    }
    byKey.set(`${ts}#${s.seq}`, sample);
  }
  const samples = [...byKey.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  return { ok: true, message: { deviceId, kind, samples } };
}
