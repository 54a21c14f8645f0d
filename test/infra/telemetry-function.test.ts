import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  alarmEventTopic,
  CHANNEL_ENV,
  SERVICE_METRICS,
  TABLES,
  type TableName,
  type TableSpec,
} from '../../functions/contract';
import { TelemetryFunction } from '../../infra/constructs/telemetry-function';
import { TelemetryTables } from '../../infra/constructs/telemetry-tables';
import { FUNCTIONS } from '../../infra/wiring';
import { asList, flatten, IOT_ARN_PREFIX, testApp, testStack } from './support';

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

const indexedTable = (Object.entries(TABLES) as [TableName, TableSpec][]).find(
  ([, spec]) => spec.globalIndexes?.length,
);

describe('TelemetryFunction', () => {
  let stack: Stack;
  let template: Template;
  let tables: Record<TableName, ITable>;
  let topic: Topic;
  let ingest: TelemetryFunction;
  let api: TelemetryFunction;

  beforeAll(() => {
    stack = testStack();
    tables = new TelemetryTables(stack, 'Tables').tables;
    topic = new Topic(stack, 'Topic');
    ingest = new TelemetryFunction(stack, 'Ingest', { name: 'ingest', description: 'test' })
      .useTable('readings', tables.readings, ['PutItem', 'BatchWriteItem'])
      .useTable('devices', tables.devices, ['GetItem'])
      .useTable('quarantine', tables.quarantine, [])
      .useAlarmTopic(topic, 'publish')
      .useLiveEvents('example-ats.iot.local');
    if (indexedTable) ingest.useTable(indexedTable[0], tables[indexedTable[0]], ['Query', 'UpdateItem']);
    api = new TelemetryFunction(stack, 'Api', { name: 'api', description: 'test' }).useAlarmTopic(
      topic,
      'subscribe',
    );
    template = Template.fromStack(stack);
  });

  /** The statements of the policies attached to a function's role. */
  const statementsOf = (fn: TelemetryFunction): Statement[] =>
    Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [stack.resolve(fn.role.roleName)] },
      }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
  const resourcesWith = (fn: TelemetryFunction, action: string) =>
    statementsOf(fn)
      .filter((s) => asList(s.Action).includes(action))
      .flatMap((s) => asList(s.Resource).map(flatten));
  const tableArn = (name: TableName) => flatten(stack.resolve(tables[name].tableArn));
  const variablesOf = (fn: TelemetryFunction) =>
    template.toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as never)].Properties
      .Environment.Variables;

  it('runs on arm64 with the Node.js 22 runtime and the size declared in FUNCTIONS, untraced by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: Match.absent(),
      MemorySize: FUNCTIONS.ingest.memoryMb,
      Timeout: FUNCTIONS.ingest.timeoutS,
      Handler: 'index.handler',
    });
    const everything = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    expect(everything.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith('xray:'))).toEqual([]);
  });

  it('traces actively with -c tracing=active, and refuses another mode', () => {
    const app = testApp();
    app.node.setContext('tracing', 'active');
    const traced = new Stack(app, 'Traced');
    const fn = new TelemetryFunction(traced, 'Fn', { name: 'ingest', description: 'test' });
    const t = Template.fromStack(traced);
    t.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    const xray = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => asList(s.Action)),
    );
    expect(xray).toContain('xray:PutTraceSegments');
    expect(fn.name).toBe('ingest');
    const bad = testApp();
    bad.node.setContext('tracing', 'sometimes');
    expect(
      () =>
        new TelemetryFunction(new Stack(bad, 'Bad'), 'Fn', {
          name: 'ingest',
          description: 'test',
        }),
    ).toThrow(/tracing: "sometimes" must be off or active/);
  });

  it('logs to its own log group with an explicit retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: stack.resolve(ingest.logGroup.logGroupName) },
    });
  });

  it('may write only to its own log group, and carries no AWS managed policy', () => {
    expect(resourcesWith(ingest, 'logs:PutLogEvents')).toEqual([
      flatten(stack.resolve(ingest.logGroup.logGroupArn)),
    ]);
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  it('names its stage, Powertools service and metrics namespace, and one environment variable per table', () => {
    expect(variablesOf(ingest)).toMatchObject({
      STAGE: 'dev',
      POWERTOOLS_SERVICE_NAME: 'ingest',
      POWERTOOLS_METRICS_NAMESPACE: SERVICE_METRICS.namespace,
      [TABLES.readings.envVar]: stack.resolve(tables.readings.tableName),
      [TABLES.devices.envVar]: stack.resolve(tables.devices.tableName),
      [TABLES.quarantine.envVar]: stack.resolve(tables.quarantine.tableName),
    });
  });

  it('grants exactly the declared table actions, with no wildcard', () => {
    expect(resourcesWith(ingest, 'dynamodb:PutItem')).toContain(tableArn('readings'));
    expect(resourcesWith(ingest, 'dynamodb:BatchWriteItem')).toContain(tableArn('readings'));
    expect(resourcesWith(ingest, 'dynamodb:Query')).not.toContain(tableArn('readings'));
    expect(resourcesWith(ingest, 'dynamodb:PutItem')).not.toContain(tableArn('devices'));
    expect(resourcesWith(ingest, 'dynamodb:GetItem')).toContain(tableArn('devices'));
    expect(resourcesWith(ingest, 'dynamodb:Scan')).not.toContain(tableArn('devices'));
    expect(resourcesWith(ingest, 'dynamodb:GetItem')).not.toContain(tableArn('readings'));
    const dynamoResources = statementsOf(ingest)
      .filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')))
      .flatMap((s) => asList(s.Resource).map(flatten));
    expect(dynamoResources.filter((r) => r.includes('*'))).toEqual([]);
  });

  it('passes the name of a table given with access none, and grants nothing on it', () => {
    const everything = statementsOf(ingest).flatMap((s) => asList(s.Resource).map(flatten));
    expect(everything.filter((r) => r.startsWith(tableArn('quarantine')))).toEqual([]);
  });

  it.skipIf(!indexedTable)(
    'grants queries of a table’s global secondary indexes by name, and no write',
    () => {
      const [name, spec] = indexedTable as [TableName, TableSpec];
      const reads = resourcesWith(ingest, 'dynamodb:Query');
      for (const index of spec.globalIndexes ?? []) {
        expect(reads).toContain(`${tableArn(name)}/index/${index.name}`);
      }
      expect(resourcesWith(ingest, 'dynamodb:UpdateItem').filter((r) => r.includes('/index/'))).toEqual([]);
    },
  );

  it('publishes to the alarm topic it is given, and only the API, which never publishes, may (un)subscribe phones', () => {
    const topicArn = flatten(stack.resolve(topic.topicArn));
    expect(variablesOf(ingest)[CHANNEL_ENV.alarmTopicArn]).toEqual(stack.resolve(topic.topicArn));
    expect(resourcesWith(ingest, 'sns:Publish')).toEqual([topicArn]);
    expect(resourcesWith(ingest, 'sns:Subscribe')).toEqual([]);
    expect(resourcesWith(api, 'sns:Subscribe')).toEqual([topicArn]);
    expect(resourcesWith(api, 'sns:Unsubscribe')).toEqual([topicArn]);
    expect(resourcesWith(api, 'sns:SetSubscriptionAttributes')).toEqual([topicArn]);
    expect(resourcesWith(api, 'sns:Publish')).toEqual([]);
  });

  it('publishes live events only to the alarm event topics, through the given IoT data endpoint', () => {
    expect(variablesOf(ingest)[CHANNEL_ENV.iotDataEndpoint]).toBe('example-ats.iot.local');
    expect(resourcesWith(ingest, 'iot:Publish')).toEqual([`${IOT_ARN_PREFIX}topic/${alarmEventTopic('*')}`]);
    expect(resourcesWith(api, 'iot:Publish')).toEqual([]);
  });
});
