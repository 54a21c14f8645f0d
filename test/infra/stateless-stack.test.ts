import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, CHANNEL_ENV, TABLES, type TableName, TELEMETRY_RULES } from '../../functions/contract';
import { TABLE_GRANTS } from '../../infra/constructs/table-grants';
import type { StatefulStack } from '../../infra/stacks/stateful-stack';
import type { StatelessStack } from '../../infra/stacks/stateless-stack';
import { addTelemetryStacks, stackNames } from '../../infra/stacks/telemetry-app';
import { FUNCTIONS, type FunctionName, SCHEDULES } from '../../infra/wiring';
import { asList, flatten, testApp } from './support';

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

describe('StatelessStack', () => {
  let stack: StatelessStack;
  let stateful: StatefulStack;
  let template: Template;

  beforeAll(() => {
    ({ stateless: stack, stateful } = addTelemetryStacks(testApp()));
    template = Template.fromStack(stack);
  });

  const resourceOf = (construct: { node: { defaultChild?: unknown } }) =>
    template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as never)];
  const statementsOf = (name: FunctionName): Statement[] =>
    Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [stack.resolve(stack.functions[name].role.roleName)] },
      }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);

  it('is named for the service', () => {
    expect(stack.stackName).toBe(stackNames('dev').stateless);
    expect(stack.stackName).toBe('PamirTelemetry-dev-Stateless');
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'deploys function %s on arm64 and Node.js 22, sized as declared',
    (name) => {
      expect(resourceOf(stack.functions[name].function).Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        MemorySize: FUNCTIONS[name].memoryMb,
        Timeout: FUNCTIONS[name].timeoutS,
      });
    },
  );

  // The roll-up job raises no alarms: it gets the tables only (below).
  it.each((Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => name !== 'rollups'))(
    'passes function %s every table name and both alarm channels, from the other stack or the deployment',
    (name) => {
      const variables = resourceOf(stack.functions[name].function).Properties.Environment.Variables;
      for (const spec of Object.values(TABLES)) {
        expect(variables[spec.envVar]).toEqual({ 'Fn::ImportValue': expect.any(String) });
      }
      expect(variables[CHANNEL_ENV.alarmTopicArn]).toEqual({ 'Fn::ImportValue': expect.any(String) });
      expect(variables[CHANNEL_ENV.iotDataEndpoint]).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^IotDataEndpointLookup/), 'endpointAddress'],
      });
    },
  );

  it('passes the roll-up function every table name and neither alarm channel', () => {
    const variables = resourceOf(stack.functions.rollups.function).Properties.Environment.Variables;
    for (const spec of Object.values(TABLES)) {
      expect(variables[spec.envVar]).toEqual({ 'Fn::ImportValue': expect.any(String) });
    }
    expect(variables).not.toHaveProperty(CHANNEL_ENV.alarmTopicArn);
    expect(variables).not.toHaveProperty(CHANNEL_ENV.iotDataEndpoint);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'grants function %s exactly the table actions TABLE_GRANTS lists, on each table and nowhere else',
    (name) => {
      const statements = statementsOf(name);
      // Table ARNs arrive as imports whose export names carry the table's logical id in the stateful stack.
      const arnMarker = (table: TableName) =>
        `${stateful.getLogicalId(stateful.tables[table].node.defaultChild as never)}Arn`;
      for (const table of Object.keys(TABLES) as TableName[]) {
        const granted = statements
          .filter((s) =>
            asList(s.Resource)
              .map(flatten)
              .some((r) => r.includes(arnMarker(table)) && !r.includes('/index/')),
          )
          .flatMap((s) => asList(s.Action))
          .sort();
        expect(granted, `${name} on ${table}`).toEqual(
          TABLE_GRANTS[name][table].map((a) => `dynamodb:${a}`).sort(),
        );
      }
    },
  );

  it('grants ingest no DeleteItem and no Scan of a data table (only of the small subscriptions table, to count an SMS’s phones), and no function a DynamoDB wildcard', () => {
    const statements = statementsOf('ingest');
    const ingestActions = statements.flatMap((s) => asList(s.Action));
    expect(ingestActions).toContain('dynamodb:BatchWriteItem');
    expect(ingestActions).not.toContain('dynamodb:DeleteItem');
    const subscriptionsArn = `${stateful.getLogicalId(stateful.tables.subscriptions.node.defaultChild as never)}Arn`;
    const scanned = statements
      .filter((s) => asList(s.Action).includes('dynamodb:Scan'))
      .flatMap((s) => asList(s.Resource).map(flatten));
    expect(scanned.length).toBeGreaterThan(0);
    for (const resource of scanned) expect(resource).toContain(subscriptionsArn);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[])
      expect(statementsOf(name).flatMap((s) => asList(s.Action))).not.toContain('dynamodb:*');
  });

  it('has one rule per TELEMETRY_RULES entry, the alarm-event rule, and one authorized route per API_ROUTES entry', () => {
    template.resourceCountIs('AWS::IoT::TopicRule', TELEMETRY_RULES.length + 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', API_ROUTES.length);
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' });
  });

  it('schedules every SCHEDULES entry, targeting the named function', () => {
    template.resourceCountIs('AWS::Events::Rule', SCHEDULES.length);
    for (const schedule of SCHEDULES) {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: Schedule.rate(Duration.minutes(schedule.everyMinutes)).expressionString,
        Targets: [
          Match.objectLike({ Arn: stack.resolve(stack.functions[schedule.function].function.functionArn) }),
        ],
      });
    }
  });

  it('looks up the IoT data endpoint at deployment', () => {
    template.hasResourceProperties('Custom::AWS', {
      Create: Match.serializedJson(
        Match.objectLike({
          service: 'IoT',
          action: 'DescribeEndpoint',
          parameters: { endpointType: 'iot:Data-ATS' },
        }),
      ),
    });
  });

  it('outputs what operators and device registration need', () => {
    for (const output of [
      'ApiUrl',
      'DevicePolicyName',
      'IngestQueueUrl',
      'DeadLetterQueueUrl',
      'RuleErrorQueueUrl',
      'AlarmEventLogGroup',
      'DashboardName',
    ]) {
      template.hasOutput(output, {});
    }
  });

  it('writes no ARN with a literal partition', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/arn:aws(-cn|-us-gov)?:/);
  });
});
