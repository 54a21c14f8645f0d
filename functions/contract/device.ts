import { DAY_MS } from '../shared/time';
/**
 * Device contract v1: what a device is called, what it may send and why a message is refused. Data only; parsing a
 * message against it is `functions/core/telemetry.ts`.
 */

/** Thing name = MQTT client id = device id. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A metric name: lower_snake_case with its unit, e.g. `turbidity_ntu`. Devices, the registry and the API share it. */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

export const CONTRACT_LIMITS = {
  maxMessageBytes: 32 * 1024,
  maxSamplesPerMessage: 100,
  maxMetricsPerSample: 32,
  maxItemBytes: 1024,
  earliestTs: Date.UTC(2020, 0, 1),
  maxFutureMs: DAY_MS,
  /**
   * Largest magnitude of a number value: beyond it a JS number is no longer exact to the unit, and the AWS SDK refuses
   * to write it (lib-dynamodb marshalling rejects numbers past Number.MAX_SAFE_INTEGER).
   */
  maxAbsValue: Number.MAX_SAFE_INTEGER,
  /**
   * Smallest non-zero magnitude of a number value: DynamoDB stores 1E-130 and up, and refuses smaller ones ("Number
   * underflow"). Any double within the range stores exactly (at most 17 significant digits of DynamoDB's 38), so a
   * sensor's float noise near zero (e.g. 2.7e-17 after a subtraction) is kept rather than costing its whole message.
   */
  minAbsValue: 1e-130,
} as const;

/**
 * Names a metric may not have: every property of Object.prototype (`constructor`, `__proto__`, `toString`, ...). Stored
 * in a plain object they shadow or replace what the JS runtime and the AWS SDK rely on (the SDK refuses a map with an
 * own `constructor`; `__proto__` would be dropped or swap the prototype), so they are refused by name.
 */
export const RESERVED_METRIC_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype).sort();

export const DEVICE_KINDS = ['water', 'bin'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export type MetricValue = number | boolean;

/** Why a message was quarantined; devices and operators see these codes. */
export const REJECTION_REASONS = [
  'oversize',
  'bad_topic',
  'topic_mismatch',
  'not_json',
  'unsupported_version',
  'bad_shape',
  'bad_value',
  'too_many_samples',
  'ts_in_future',
  'ts_too_old',
  'sample_too_large',
  'unknown_device',
  'wrong_kind',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
