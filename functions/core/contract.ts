import { z } from 'zod';
import { readingItemSize } from './reading-item';

/**
 * Device contract v1 (ARCHITECTURE.md): topics `dt/water/<deviceId>`, `dt/bin/<deviceId>`, JSON payload with one
 * sample or a `samples` batch. Parsing is atomic per message: a message is accepted whole or quarantined whole.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
export const CONTRACT_LIMITS = {
  maxMessageBytes: 32 * 1024,
  maxSamplesPerMessage: 100,
  maxMetricsPerSample: 32,
  maxItemBytes: 1024,
  earliestTs: Date.UTC(2020, 0, 1),
  maxFutureMs: 24 * 60 * 60 * 1000,
} as const;

export const DEVICE_KINDS = ['water', 'bin'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export type MetricValue = number | boolean;

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

export const REJECTION_REASONS = [
  'oversize',
  'bad_topic',
  'topic_mismatch',
  'not_json',
  'unsupported_version',
  'bad_shape',
  'too_many_samples',
  'ts_in_future',
  'ts_too_old',
  'sample_too_large',
  'unknown_device',
  'wrong_kind',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
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

const BASIC_INGEST_PREFIX = /^\$aws\/rules\/[A-Za-z0-9_]+\//;

/** Splits a telemetry topic (optionally a Basic Ingest one) into kind and device id. */
export function parseTopic(topic: string): { kind: DeviceKind; deviceId: string } | undefined {
  const parts = topic.replace(BASIC_INGEST_PREFIX, '').split('/');
  if (parts.length !== 3 || parts[0] !== 'dt') return undefined;
  const [, kind, deviceId] = parts as [string, string, string];
  if (!(DEVICE_KINDS as readonly string[]).includes(kind) || !DEVICE_ID_PATTERN.test(deviceId))
    return undefined;
  return { kind: kind as DeviceKind, deviceId };
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

/**
 * Parses and validates one MQTT message against contract v1. Pure: the caller supplies the receive time.
 * Registry checks (unknown device, wrong kind) happen in the ingest use case.
 */
export function parseTelemetry(input: TelemetryInput): ParseResult {
  const route = parseTopic(input.topic);
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
      `client "${input.clientId}" published on the topic of device "${deviceId}"; a device may publish only to dt/${kind}/<its own client id>`,
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
  const version = (json as { v?: unknown }).v;
  if (version !== 1) {
    return reject(
      'unsupported_version',
      `payload version v=${JSON.stringify(version) ?? 'missing'} is not supported; send "v":1`,
      deviceId,
    );
  }

  let raw: { samples: z.infer<typeof sampleSchema>[]; battery?: number };
  if ('samples' in json) {
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
    const where = raw.samples.length > 1 ? `samples.${index}.ts` : 'ts';
    if (ts > input.receivedAt + CONTRACT_LIMITS.maxFutureMs) {
      return reject(
        'ts_in_future',
        `${where} ${new Date(ts).toISOString()} is more than 24 h after the time received (${new Date(input.receivedAt).toISOString()}): check the device clock (NTP)`,
        deviceId,
      );
    }
    if (ts < CONTRACT_LIMITS.earliestTs) {
      return reject(
        'ts_too_old',
        `${where} ${new Date(ts).toISOString()} is before 2020-01-01: the device clock is unset or ts is in seconds, not milliseconds`,
        deviceId,
      );
    }
    const sample: Sample = { ts, seq: s.seq, m: s.m };
    const batteryPct = s.battery_pct ?? (index === newestIndex ? raw.battery : undefined);
    if (batteryPct !== undefined) sample.batteryPct = batteryPct;
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
