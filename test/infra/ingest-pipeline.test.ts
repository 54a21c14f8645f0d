import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  INGEST_QUEUE,
  IOT_SQL_VERSION,
  TABLES,
  type TableName,
  TELEMETRY_RULES,
  telemetryRuleSql,
} from '../../functions/contract';
import { IngestPipeline } from '../../infra/constructs/ingest-pipeline';
import { TelemetryTables } from '../../infra/constructs/telemetry-tables';
import { asList, flatten, testStack } from './support';

describe('IngestPipeline', () => {
  let stack: Stack;
  let pipeline: IngestPipeline;
  let template: Template;
  let tables: Record<TableName, ITable>;
  const ref = (value: unknown) => stack.resolve(value);

  beforeAll(() => {
    stack = testStack();
    tables = new TelemetryTables(stack, 'Tables').tables;
    pipeline = new IngestPipeline(stack, 'Ingest', { tables });
    template = Template.fromStack(stack);
  });

  it('creates one topic rule per TELEMETRY_RULES entry, named as the device contract declares (the primary stage keeps the Basic Ingest names)', () => {
    template.resourceCountIs('AWS::IoT::TopicRule', TELEMETRY_RULES.length);
    for (const rule of TELEMETRY_RULES) {
      template.hasResourceProperties('AWS::IoT::TopicRule', {
        RuleName: rule.ruleName,
        TopicRulePayload: Match.objectLike({
          Sql: telemetryRuleSql(rule.topicFilter),
          AwsIotSqlVersion: IOT_SQL_VERSION,
          RuleDisabled: false,
        }),
      });
    }
  });

  it('sends every rule’s messages to the ingest queue as they are, and its failures to the rule-error queue', () => {
    const roleArn = ref(pipeline.ruleRole.roleArn);
    for (const rule of TELEMETRY_RULES) {
      template.hasResourceProperties('AWS::IoT::TopicRule', {
        RuleName: rule.ruleName,
        TopicRulePayload: Match.objectLike({
          Actions: [{ Sqs: { QueueUrl: ref(pipeline.queue.queueUrl), RoleArn: roleArn, UseBase64: false } }],
          ErrorAction: {
            Sqs: { QueueUrl: ref(pipeline.ruleErrorQueue.queueUrl), RoleArn: roleArn, UseBase64: false },
          },
        }),
      });
    }
  });

  it('lets the rules’ role only send messages to those two queues, and only this account’s rules assume it', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(pipeline.ruleRole.roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: [ref(pipeline.queue.queueArn), ref(pipeline.ruleErrorQueue.queueArn)],
          },
        ],
      },
    });
    const role = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
        },
      },
    });
    const [trust] = Object.values(role).map((r) => r.Properties.AssumeRolePolicyDocument.Statement[0]);
    expect(trust.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(asList(trust.Condition.ArnLike['aws:SourceArn']).map(flatten)).toEqual(
      TELEMETRY_RULES.map(
        (r) => `arn:\${AWS::Partition}:iot:\${AWS::Region}:\${AWS::AccountId}:rule/${r.ruleName}`,
      ),
    );
  });

  it('moves a message to the dead-letter queue after maxReceiveCount failed deliveries', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: INGEST_QUEUE.visibilityTimeoutS,
      RedrivePolicy: {
        deadLetterTargetArn: ref(pipeline.deadLetterQueue.queueArn),
        maxReceiveCount: INGEST_QUEUE.maxReceiveCount,
      },
    });
  });

  it('keeps queued telemetry for retentionDays (not SQS’s 4-day default)', () => {
    const id = stack.getLogicalId(pipeline.queue.node.defaultChild as never);
    expect(INGEST_QUEUE.retentionDays).toBe(14);
    expect(template.toJSON().Resources[id].Properties.MessageRetentionPeriod).toBe(
      INGEST_QUEUE.retentionDays * 24 * 3600,
    );
  });

  it('keeps dead letters and rule errors for dlqRetentionDays', () => {
    const retention = INGEST_QUEUE.dlqRetentionDays * 24 * 3600;
    for (const queue of [pipeline.deadLetterQueue, pipeline.ruleErrorQueue]) {
      const id = stack.getLogicalId(queue.node.defaultChild as never);
      expect(template.toJSON().Resources[id].Properties.MessageRetentionPeriod).toBe(retention);
    }
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 3);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('feeds the ingest function in batches and retries only the records it reports as failed', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(pipeline.queue.queueArn),
      FunctionName: ref(pipeline.ingest.function.functionName),
      BatchSize: INGEST_QUEUE.batchSize,
      MaximumBatchingWindowInSeconds: INGEST_QUEUE.maxBatchingWindowS,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives the ingest function every table name, and writes only where it stores samples, alarms or collections', () => {
    const fn = pipeline.ingest.function;
    const variables =
      template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment
        .Variables;
    for (const spec of Object.values(TABLES)) expect(variables).toHaveProperty(spec.envVar);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const resourcesWith = (action: string) =>
      statements
        .filter((s) => asList(s.Action).includes(action))
        .flatMap((s) => asList(s.Resource).map(flatten))
        .sort();
    const tableArn = (name: TableName) => flatten(ref(tables[name].tableArn));
    // Heartbeats go into one PutItem per invocation: the alarms table takes no batch writes from ingest.
    expect(resourcesWith('dynamodb:BatchWriteItem')).toEqual(
      [tableArn('binEvents'), tableArn('quarantine'), tableArn('readings')].sort(),
    );
    // PutItem: the heartbeat batch and alarm logs (alarms), an invocation's touched-hour mark (rollups).
    expect(resourcesWith('dynamodb:PutItem')).toEqual([tableArn('alarms'), tableArn('rollups')].sort());
  });

  it('never lets ingest delete, nor scan a data table: its one Scan is of the small subscriptions table', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const actions = statements.flatMap((s) => asList(s.Action));
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).not.toEqual([]);
    for (const forbidden of ['dynamodb:DeleteItem', 'dynamodb:*']) expect(actions).not.toContain(forbidden);
    const scanned = statements
      .filter((s) => asList(s.Action).includes('dynamodb:Scan'))
      .flatMap((s) => asList(s.Resource as never).map((r) => JSON.stringify(ref(r))));
    expect(scanned).toEqual([JSON.stringify(ref(tables.subscriptions.tableArn))]);
  });
});
