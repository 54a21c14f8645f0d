import { DEVICE_ID_PATTERN, DEVICE_KINDS, type DeviceKind } from './device';
import { telemetryRule } from './telemetry-rules';

/**
 * Every MQTT topic of the service is built and parsed here: telemetry (`dt/<kind>/<deviceId>`, or its Basic Ingest
 * form `$aws/rules/<rule>/dt/<kind>/<deviceId>`), commands (`cmd/<deviceId>/<command>`) and live events for consoles
 * (`evt/…`).
 */

/** Prefix of the Basic Ingest topics, which deliver straight to a named rule without the messaging charge. */
const BASIC_INGEST_PREFIX = '$aws/rules';

/**
 * The concrete topic one device publishes to, from a telemetry topic filter such as `dt/water/+`. The filter must
 * end in a single `+` standing for the device id, so a device can never be granted a wildcard of other devices.
 */
export function deviceTopic(topicFilter: string, deviceId: string): string {
  const segments = topicFilter.split('/');
  const last = segments.at(-1);
  const wildcards = segments.filter((s) => s === '+' || s === '#').length;
  if (last !== '+' || wildcards !== 1) {
    throw new Error(
      `topic filter '${topicFilter}' must end in one '+' (the device id) and hold no other wildcard`,
    );
  }
  return [...segments.slice(0, -1), deviceId].join('/');
}

/** The Basic Ingest form of a device's topic: `$aws/rules/<ruleName>/<topic>`. */
export function basicIngestTopic(ruleName: string, topicFilter: string, deviceId: string): string {
  return `${BASIC_INGEST_PREFIX}/${ruleName}/${deviceTopic(topicFilter, deviceId)}`;
}

/**
 * The telemetry topic of a device, `dt/<kind>/<id>`, or with Basic Ingest `$aws/rules/<rule>/dt/<kind>/<id>`, which
 * hands the message straight to the IoT rule and skips the messaging charge.
 */
export function telemetryTopic(
  kind: DeviceKind,
  deviceId: string,
  basicIngest = false,
  rulePrefix = '',
): string {
  const rule = telemetryRule(kind);
  return basicIngest
    ? basicIngestTopic(`${rulePrefix}${rule.ruleName}`, rule.topicFilter, deviceId)
    : deviceTopic(rule.topicFilter, deviceId);
}

/** Any rule name: the rule a message arrived through does not change whose telemetry it is. */
const BASIC_INGEST_PATTERN = /^\$aws\/rules\/[A-Za-z0-9_]+\//;

/** Splits a telemetry topic (optionally a Basic Ingest one) into kind and device id. */
export function parseTelemetryTopic(topic: string): { kind: DeviceKind; deviceId: string } | undefined {
  const parts = topic.replace(BASIC_INGEST_PATTERN, '').split('/');
  if (parts.length !== 3 || parts[0] !== 'dt') return undefined;
  const [, kind, deviceId] = parts as [string, string, string];
  if (!(DEVICE_KINDS as readonly string[]).includes(kind) || !DEVICE_ID_PATTERN.test(deviceId))
    return undefined;
  return { kind: kind as DeviceKind, deviceId };
}

/** A command to one device, e.g. `cmd/<deviceId>/config`. */
export function commandTopic(deviceId: string, command: string): string {
  return `cmd/${deviceId}/${command}`;
}

/** A live event for consoles, under `evt/`. */
export function liveEventTopic(path: string): string {
  return `evt/${path}`;
}

/** Live alarm events of one site: `evt/alarms/<siteId>`. */
export function alarmEventTopic(siteId: string): string {
  return liveEventTopic(`alarms/${siteId}`);
}
