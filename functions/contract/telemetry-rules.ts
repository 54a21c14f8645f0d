import type { DeviceKind } from './device';

/**
 * Telemetry topics, one IoT rule each. Rule names are part of the device contract: a device names the rule in its
 * Basic Ingest topic (`$aws/rules/<ruleName>/…`).
 */
export const TELEMETRY_RULES = [
  { kind: 'water', ruleName: 'pamir_telemetry_water', topicFilter: 'dt/water/+' },
  { kind: 'bin', ruleName: 'pamir_telemetry_bin', topicFilter: 'dt/bin/+' },
] as const satisfies readonly { kind: DeviceKind; ruleName: string; topicFilter: string }[];

/** The rule that takes the telemetry of one device kind. */
export function telemetryRule(kind: DeviceKind): (typeof TELEMETRY_RULES)[number] {
  const rule = TELEMETRY_RULES.find((r) => r.kind === kind);
  if (!rule) throw new Error(`no telemetry rule for device kind ${kind}`);
  return rule;
}

/**
 * The rule forwards every message, JSON or not, as an envelope the ingest function understands. Encoding the payload
 * as base64 keeps the raw bytes of a malformed message for the quarantine.
 */
export function telemetryRuleSql(topicFilter: string): string {
  return `SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS receivedAt FROM '${topicFilter}'`;
}
export const IOT_SQL_VERSION = '2016-03-23';
