import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDeploymentSettings } from '../../infra/constructs/deployment-settings';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { testApp } from './support';

/** The properties that give a resource its physical name, by resource type. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::IoT::TopicRule': 'RuleName',
  'AWS::IoT::Policy': 'PolicyName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Logs::MetricFilter': 'FilterName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::Rule': 'Name',
  'AWS::Cognito::UserPool': 'UserPoolName',
  'AWS::Cognito::UserPoolDomain': 'Domain',
};

/** Every explicit physical name in an app's stacks, as `type name` (a generated name is unique by construction). */
function physicalNames(app: App): string[] {
  return app.node
    .findAll()
    .filter(Stack.isStack)
    .flatMap((stack) => {
      const resources = Template.fromStack(stack).toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, unknown> }
      >;
      return Object.values(resources).flatMap((r) => {
        const property = NAME_PROPERTIES[r.Type];
        const name = property && r.Properties?.[property];
        return name === undefined ? [] : [`${r.Type} ${JSON.stringify(stack.resolve(name))}`];
      });
    });
}

describe('stages (-c stage=…)', () => {
  let app: App;
  let names: string[];

  beforeAll(() => {
    app = testApp();
    addTelemetryStacks(app, { stage: 'prod', accountSetup: true });
    addTelemetryStacks(app, { stage: 'dev', accountSetup: false });
    app.synth();
    names = physicalNames(app);
  });

  it('puts two stages in one app and account with no physical name in common', () => {
    const stackNames = app.node.children
      .filter(Stack.isStack)
      .map((s) => s.stackName)
      .sort();
    expect(stackNames).toEqual([
      'PamirTelemetry-dev-Stateful',
      'PamirTelemetry-dev-Stateless',
      'PamirTelemetry-prod-Stateful',
      'PamirTelemetry-prod-Stateless',
    ]);
    const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
    expect(duplicates).toEqual([]);
  });

  it('prefixes every named rule, alarm, policy and dashboard with the stage, except the telemetry rules of the primary stage, whose names devices use', () => {
    const named = (type: string) =>
      names
        .filter((n) => n.startsWith(`${type} `))
        .map((n) => JSON.parse(n.slice(type.length + 1)) as string);
    expect(named('AWS::IoT::TopicRule').sort()).toEqual([
      'dev_pamir_alarm_events',
      'dev_pamir_telemetry_bin',
      'dev_pamir_telemetry_water',
      // prod owns the account (accountSetup): its devices use the contract's Basic Ingest rule names.
      'pamir_telemetry_bin',
      'pamir_telemetry_water',
      'prod_pamir_alarm_events',
    ]);
    expect(named('AWS::IoT::Policy').sort()).toEqual([
      'PamirTelemetry-dev-device',
      'PamirTelemetry-prod-device',
    ]);
    expect(named('AWS::CloudWatch::Dashboard').sort()).toEqual([
      'PamirTelemetry-dev-pipeline',
      'PamirTelemetry-prod-pipeline',
    ]);
    const alarms = named('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) expect(alarm).toMatch(/^PamirTelemetry-(dev|prod)-health-/);
  });

  it("points each stage's device policy at the Basic Ingest rules that stage deploys", () => {
    const policyOf = (stack: string) =>
      JSON.stringify(
        Object.values(
          Template.fromStack(app.node.findChild(stack) as Stack).findResources('AWS::IoT::Policy'),
        )[0]?.Properties.PolicyDocument,
      );
    expect(policyOf('PamirTelemetry-prod-Stateless')).toContain('$aws/rules/pamir_telemetry_water/dt/water/');
    expect(policyOf('PamirTelemetry-dev-Stateless')).toContain(
      '$aws/rules/dev_pamir_telemetry_water/dt/water/',
    );
    expect(policyOf('PamirTelemetry-dev-Stateless')).not.toContain('$aws/rules/pamir_telemetry_water/');
  });

  it('creates the account-wide singletons (IoT logging, SMS attributes) only in the stage that owns them', () => {
    const count = (stack: string, type: string) =>
      Object.keys(Template.fromStack(app.node.findChild(stack) as Stack).findResources(type)).length;
    expect(count('PamirTelemetry-prod-Stateless', 'AWS::IoT::Logging')).toBe(1);
    expect(count('PamirTelemetry-dev-Stateless', 'AWS::IoT::Logging')).toBe(0);
    expect(names.filter((n) => n.includes('AWSIotLogsV2'))).toEqual(['AWS::Logs::LogGroup "AWSIotLogsV2"']);
  });

  it('reads the stage from context, defaults to dev, and refuses a name that cannot prefix every resource', () => {
    expect(readDeploymentSettings(testApp())).toEqual({ stage: 'dev', accountSetup: true, tracing: 'off' });
    const withContext = testApp();
    withContext.node.setContext('stage', 'county-a');
    withContext.node.setContext('accountSetup', 'false');
    expect(readDeploymentSettings(withContext)).toEqual({
      stage: 'county-a',
      accountSetup: false,
      tracing: 'off',
    });
    for (const bad of ['Prod', 'pre_prod', '1st', 'a-very-long-stage-name-indeed', ''])
      expect(() => readDeploymentSettings(testApp(), { stage: bad }), bad).toThrow(/context stage/);
    const badFlag = testApp();
    badFlag.node.setContext('accountSetup', 'yes');
    expect(() => readDeploymentSettings(badFlag)).toThrow(/accountSetup: "yes" is not true or false/);
  });
});
