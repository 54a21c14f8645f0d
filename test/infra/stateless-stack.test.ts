import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, CHANNEL_ENV, TABLES, type TableName, TELEMETRY_RULES } from '../../functions/contract';
import type { TableAccess } from '../../infra/constructs/telemetry-function';
import type { StatefulStack } from '../../infra/stacks/stateful-stack';
import type { StatelessStack } from '../../infra/stacks/stateless-stack';
import { addTelemetryStacks, STATELESS_STACK_NAME } from '../../infra/stacks/telemetry-app';
import { FUNCTIONS, type FunctionName, SCHEDULES } from '../../infra/wiring';
import { asList, flatten, testApp } from './support';

/** What each function's code does with each table (functions/composition.ts and the use cases). */
const EXPECTED_ACCESS: Record<FunctionName, Record<TableName, TableAccess>> = {
  ingest: {
    readings: 'readWrite',
    devices: 'read',
    quarantine: 'write',
    alarms: 'readWrite',
    subscriptions: 'none',
    binEvents: 'readWrite',
  },
  api: {
    readings: 'read',
    devices: 'readWrite',
    quarantine: 'read',
    alarms: 'readWrite',
    subscriptions: 'readWrite',
    binEvents: 'read',
  },
  alarmSweep: {
    readings: 'read',
    devices: 'read',
    quarantine: 'none',
    alarms: 'readWrite',
    subscriptions: 'none',
    binEvents: 'none',
  },
};

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
    expect(stack.stackName).toBe(STATELESS_STACK_NAME);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'deploys function %s on arm64 and Node.js 22, sized as declared',
    (name) => {
      expect(resourceOf(stack.functions[name].function).Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        TracingConfig: { Mode: 'Active' },
        MemorySize: FUNCTIONS[name].memoryMb,
        Timeout: FUNCTIONS[name].timeoutS,
      });
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
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

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'grants function %s only the table access its code needs',
    (name) => {
      const statements = statementsOf(name);
      // Table ARNs arrive as imports whose export names carry the table's logical id in the stateful stack.
      const arnMarker = (table: TableName) =>
        `${stateful.getLogicalId(stateful.tables[table].node.defaultChild as never)}Arn`;
      const tablesWith = (action: string) =>
        (Object.keys(TABLES) as TableName[]).filter((table) =>
          statements.some(
            (s) =>
              asList(s.Action).includes(action) &&
              asList(s.Resource)
                .map(flatten)
                .some((r) => r.includes(arnMarker(table)) && !r.includes('/index/')),
          ),
        );
      const expected = EXPECTED_ACCESS[name];
      const tables = Object.keys(expected) as TableName[];
      const reads = tables.filter((t) => expected[t] === 'read' || expected[t] === 'readWrite');
      const writes = tables.filter((t) => expected[t] === 'write' || expected[t] === 'readWrite');
      expect(tablesWith('dynamodb:GetItem').sort()).toEqual(reads.sort());
      expect(tablesWith('dynamodb:PutItem').sort()).toEqual(writes.sort());
    },
  );

  it('has one telemetry rule per TELEMETRY_RULES entry and one authorized route per API_ROUTES entry', () => {
    template.resourceCountIs('AWS::IoT::TopicRule', TELEMETRY_RULES.length);
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
    ]) {
      template.hasOutput(output, {});
    }
  });

  it('writes no ARN with a literal partition', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/arn:aws(-cn|-us-gov)?:/);
  });
});
