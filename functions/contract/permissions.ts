import { TELEMETRY_RULES } from './telemetry-rules';
import { basicIngestTopic, commandTopic, deviceTopic, liveEventTopic } from './topics';

/**
 * Who may publish, subscribe to and receive what, written once. The cloud IoT policy (infra/constructs/device-policy.ts)
 * renders the device rules into policy resources; the local broker (infra/local/broker.ts) evaluates the same rules.
 */

export type TopicAction = 'publish' | 'subscribe' | 'receive';

/** Who a connection is: a device (client id = device id) or an operator console. */
export type ClientRole = 'device' | 'console';

/** Where the connecting device's id stands in a rule's topic; the IoT policy puts its thing-name variable there. */
export const OWN_DEVICE_ID = '{deviceId}';

export interface TopicPermission {
  readonly action: TopicAction;
  readonly who: ClientRole;
  /**
   * The topic (publish, receive) or topic filter (subscribe) allowed, in IoT policy syntax: `*` stands for any
   * characters, `?` for one, and MQTT's `+` and `#` are plain characters. {@link OWN_DEVICE_ID} is the client's id.
   */
  readonly topic: string;
  /** Granted by AWS IoT Core only: Basic Ingest topics belong to its rules engine, which the local broker lacks. */
  readonly cloudOnly?: true;
}

const ownCommands = commandTopic(OWN_DEVICE_ID, '*');

/**
 * A device publishes only its own telemetry, directly or through Basic Ingest, and subscribes to and receives only its
 * own commands. A console (local only; in AWS consoles are not IoT things) subscribes to and receives live events.
 */
const TOPIC_PERMISSIONS: readonly TopicPermission[] = [
  ...TELEMETRY_RULES.flatMap((rule): TopicPermission[] => [
    { action: 'publish', who: 'device', topic: deviceTopic(rule.topicFilter, OWN_DEVICE_ID) },
    {
      action: 'publish',
      who: 'device',
      topic: basicIngestTopic(rule.ruleName, rule.topicFilter, OWN_DEVICE_ID),
      cloudOnly: true,
    },
  ]),
  { action: 'subscribe', who: 'device', topic: ownCommands },
  { action: 'receive', who: 'device', topic: ownCommands },
  { action: 'subscribe', who: 'console', topic: liveEventTopic('*') },
  { action: 'receive', who: 'console', topic: liveEventTopic('*') },
];

/** The rules a deployment enforces: all of them in AWS IoT Core, all but the cloud-only ones on the local broker. */
export function topicPermissions(where: 'cloud' | 'local'): readonly TopicPermission[] {
  return where === 'cloud' ? TOPIC_PERMISSIONS : TOPIC_PERMISSIONS.filter((p) => !p.cloudOnly);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A rule's topic as a regular expression for one client: its id literal, `*` and `?` as IoT policy wildcards. */
function ruleRegExp(topic: string, clientId: string): RegExp {
  const wildcards = (part: string) =>
    escapeRegExp(part).replaceAll('\\*', '[\\s\\S]*').replaceAll('\\?', '[\\s\\S]');
  const pattern = topic.split(OWN_DEVICE_ID).map(wildcards).join(escapeRegExp(clientId));
  return new RegExp(`^${pattern}$`);
}

/** Whether `rules` let a client of `who` with id `clientId` take `action` on `topic` (a topic filter to subscribe). */
export function isPermitted(
  rules: readonly TopicPermission[],
  request: { action: TopicAction; who: ClientRole; clientId: string; topic: string },
): boolean {
  return rules.some(
    (rule) =>
      rule.action === request.action &&
      rule.who === request.who &&
      ruleRegExp(rule.topic, request.clientId).test(request.topic),
  );
}
