import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { basicIngestTopic, deviceTopic, TELEMETRY_RULES } from '../../functions/contract';
import { DevicePolicy, THING_NAME_VARIABLE } from '../../infra/constructs/device-policy';
import { asList, flatten, IOT_ARN_PREFIX, testStack } from './support';

interface IotStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string>>;
}

describe('DevicePolicy', () => {
  let statements: IotStatement[];
  let raw: string;
  const resourcesOf = (action: string) =>
    statements
      .filter((s) => asList(s.Action).includes(action))
      .flatMap((s) => asList(s.Resource).map(flatten));

  beforeAll(() => {
    const stack = testStack();
    new DevicePolicy(stack, 'DevicePolicy');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IoT::Policy', 1);
    const [policy] = Object.values(template.findResources('AWS::IoT::Policy'));
    statements = policy?.Properties.PolicyDocument.Statement;
    raw = JSON.stringify(policy);
  });

  it('lets a device connect only with its own thing name as client id, and only with an attached certificate', () => {
    expect(resourcesOf('iot:Connect')).toEqual([`${IOT_ARN_PREFIX}client/${THING_NAME_VARIABLE}`]);
    const connect = statements.find((s) => asList(s.Action).includes('iot:Connect'));
    expect(connect?.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
  });

  it('lets a device publish only to its own telemetry topics, directly or through its stage’s Basic Ingest rules', () => {
    const expected = TELEMETRY_RULES.flatMap((rule) => [
      `${IOT_ARN_PREFIX}topic/${deviceTopic(rule.topicFilter, THING_NAME_VARIABLE)}`,
      `${IOT_ARN_PREFIX}topic/${basicIngestTopic(rule.ruleName, rule.topicFilter, THING_NAME_VARIABLE)}`,
    ]);
    expect(resourcesOf('iot:Publish')).toEqual(expected);
    expect(expected).toContain(`${IOT_ARN_PREFIX}topic/dt/water/\${iot:Connection.Thing.ThingName}`);
    expect(expected).toContain(
      `${IOT_ARN_PREFIX}topic/$aws/rules/pamir_telemetry_bin/dt/bin/\${iot:Connection.Thing.ThingName}`,
    );
  });

  it('is named for the stage, so devices of each stage get their own policy', () => {
    expect(raw).toContain('"PolicyName":"PamirTelemetry-dev-device"');
  });

  it('grants no wildcard publish: every topic ends in the thing name', () => {
    for (const topic of resourcesOf('iot:Publish')) {
      expect(topic.endsWith(`/${THING_NAME_VARIABLE}`)).toBe(true);
      expect(topic).not.toMatch(/[#+*]/);
    }
  });

  it('lets a device subscribe to and receive only its own command topics', () => {
    expect(resourcesOf('iot:Subscribe')).toEqual([
      `${IOT_ARN_PREFIX}topicfilter/cmd/${THING_NAME_VARIABLE}/*`,
    ]);
    expect(resourcesOf('iot:Receive')).toEqual([`${IOT_ARN_PREFIX}topic/cmd/${THING_NAME_VARIABLE}/*`]);
  });

  it('allows nothing else, denies nothing, and builds every ARN with the partition', () => {
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(statements.flatMap((s) => asList(s.Action)).sort()).toEqual(
      ['iot:Connect', 'iot:Publish', 'iot:Receive', 'iot:Subscribe'].sort(),
    );
    expect(raw).not.toContain('arn:aws');
  });
});

describe('device topics', () => {
  it('turns a telemetry filter into the topic of one device', () => {
    expect(deviceTopic('dt/water/+', 'pump-7')).toBe('dt/water/pump-7');
    expect(basicIngestTopic('pamir_telemetry_water', 'dt/water/+', 'pump-7')).toBe(
      '$aws/rules/pamir_telemetry_water/dt/water/pump-7',
    );
  });

  it('refuses a filter that would grant a device other devices’ topics', () => {
    expect(() => deviceTopic('dt/#', 'x')).toThrow(/must end in one '\+'/);
    expect(() => deviceTopic('dt/+/+', 'x')).toThrow(/must end in one '\+'/);
    expect(() => deviceTopic('dt/water', 'x')).toThrow(/must end in one '\+'/);
  });
});
