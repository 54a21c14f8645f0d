/**
 * The IoT policy variable holding the connected thing's name. Written as a plain string: CloudFormation passes it
 * through unchanged (no Fn::Sub is involved) and IoT Core substitutes it when it evaluates the policy.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, not a template literal placeholder.
export const THING_NAME_VARIABLE = '${iot:Connection.Thing.ThingName}';

/** Prefix of the Basic Ingest topics, which deliver straight to a named rule without the messaging charge. */
export const BASIC_INGEST_PREFIX = '$aws/rules';

/** The topic filter under which the service sends commands to one device (`cmd/<deviceId>/config`, …). */
export function commandTopicFilter(deviceId: string): string {
  return `cmd/${deviceId}/*`;
}

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
