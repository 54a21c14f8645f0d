import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DevicePolicy, THING_NAME_VARIABLE } from '../../infra/constructs/device-policy';
import { mayPublish, mayReceive, maySubscribe } from '../../infra/local/broker';
import { asList, flatten, IOT_ARN_PREFIX, testStack } from './support';

interface IotStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
}

const OWN = 'wq-own';

/**
 * Whether an IoT policy pattern matches a name. Policy wildcards: `*` any characters (none too), `?` exactly one;
 * MQTT's `+` and `#` are plain characters in a policy resource.
 */
function policyPatternMatches(pattern: string, name: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(name);
}

/**
 * Evaluates the synthesized policy the way IoT Core does for one connected thing: an action on a topic (or topic
 * filter) is allowed when an Allow statement names the action with a matching resource and no Deny statement does.
 */
function policyAllows(
  statements: readonly IotStatement[],
  action: 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive',
  thingName: string,
  name: string,
): boolean {
  const resourceType = action === 'iot:Subscribe' ? 'topicfilter' : 'topic';
  const prefix = `${IOT_ARN_PREFIX}${resourceType}/`;
  const matches = (s: IotStatement) =>
    asList(s.Action).includes(action) &&
    asList(s.Resource)
      .map(flatten)
      .some(
        (arn) =>
          arn.startsWith(prefix) &&
          policyPatternMatches(arn.slice(prefix.length).replaceAll(THING_NAME_VARIABLE, thingName), name),
      );
  return (
    statements.some((s) => s.Effect === 'Allow' && matches(s)) &&
    !statements.some((s) => s.Effect === 'Deny' && matches(s))
  );
}

const PUBLISH_TOPICS = [
  'dt/water/wq-own',
  'dt/bin/wq-own',
  'dt/water/wq-other',
  'dt/bin/wq-other',
  'dt/water/wq-own-2',
  'dt/water/wq-own/extra',
  'dt/water/+',
  'dt/#',
  '$aws/rules/pamir_telemetry_water/dt/water/wq-own',
  '$aws/rules/pamir_telemetry_bin/dt/bin/wq-own',
  '$aws/rules/pamir_telemetry_water/dt/water/wq-other',
  '$aws/rules/pamir_telemetry_bin/dt/bin/wq-other',
  '$aws/rules/pamir_telemetry_bin/dt/water/wq-own',
  '$aws/rules/x/dt/water/wq-own',
  '$aws/rules/prod_pamir_telemetry_water/dt/water/wq-own',
  'cmd/wq-own/config',
  'cmd/wq-other/config',
  'evt/alarms/plant-town',
  'foo/bar',
];

const SUBSCRIBE_FILTERS = [
  'cmd/wq-own/config',
  'cmd/wq-own/#',
  'cmd/wq-own/+',
  'cmd/wq-own/config/extra',
  'cmd/wq-own/',
  'cmd/wq-own',
  'cmd/wq-own-2/config',
  'cmd/wq-other/config',
  'cmd/+/config',
  'cmd/+/#',
  'cmd/#',
  '#',
  'evt/#',
  'evt/alarms/plant-town',
  'dt/water/wq-own',
  'dt/water/wq-own/extra',
  'foo/bar',
];

const RECEIVE_TOPICS = [
  'cmd/wq-own/config',
  'cmd/wq-own/a/b',
  'cmd/wq-own',
  'cmd/wq-other/config',
  'evt/alarms/plant-town',
  'dt/water/wq-own',
  'foo/bar',
];

describe('the cloud IoT policy and the local broker, rendered from the same permission rules', () => {
  let statements: IotStatement[];

  beforeAll(() => {
    const stack = testStack();
    new DevicePolicy(stack, 'DevicePolicy');
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IoT::Policy'));
    statements = policy?.Properties.PolicyDocument.Statement;
  });

  it('agree on every publish, except that only AWS IoT Core takes a device’s own Basic Ingest topics, to its stage’s rules', () => {
    const cloud = PUBLISH_TOPICS.filter((t) => policyAllows(statements, 'iot:Publish', OWN, t));
    const local = PUBLISH_TOPICS.filter((t) => mayPublish('device', OWN, t));

    expect(local).toEqual(['dt/water/wq-own', 'dt/bin/wq-own']);
    expect(cloud).toEqual([
      'dt/water/wq-own',
      'dt/bin/wq-own',
      '$aws/rules/pamir_telemetry_water/dt/water/wq-own',
      '$aws/rules/pamir_telemetry_bin/dt/bin/wq-own',
    ]);
  });

  it('agree on every subscription: a device subscribes only under its own cmd/<id>/', () => {
    const cloud = SUBSCRIBE_FILTERS.filter((f) => policyAllows(statements, 'iot:Subscribe', OWN, f));
    const local = SUBSCRIBE_FILTERS.filter((f) => maySubscribe('device', OWN, f));

    expect(local).toEqual(cloud);
    expect(cloud).toEqual([
      'cmd/wq-own/config',
      'cmd/wq-own/#',
      'cmd/wq-own/+',
      'cmd/wq-own/config/extra',
      'cmd/wq-own/',
    ]);
  });

  it('agree on every delivery: a device receives only under its own cmd/<id>/', () => {
    const cloud = RECEIVE_TOPICS.filter((t) => policyAllows(statements, 'iot:Receive', OWN, t));
    const local = RECEIVE_TOPICS.filter((t) => mayReceive('device', OWN, t));

    expect(local).toEqual(cloud);
    expect(cloud).toEqual(['cmd/wq-own/config', 'cmd/wq-own/a/b']);
  });
});
