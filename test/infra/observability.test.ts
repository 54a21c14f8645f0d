import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmEventTopic, SERVICE_METRICS } from '../../functions/contract';
import {
  ACCOUNT_METRIC_NAMESPACE,
  IOT_LOG_GROUP_NAME,
  IOT_LOG_PATTERNS,
} from '../../infra/constructs/iot-logging';
import { SMS_SUCCESS_SAMPLING_PERCENT } from '../../infra/constructs/sms-delivery-status';
import type { StatelessStack } from '../../infra/stacks/stateless-stack';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { asList, flatten, IOT_ARN_PREFIX, testApp } from './support';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

describe('observability of the cloud pipeline', () => {
  let stack: StatelessStack;
  let template: Template;
  let resources: Resources;
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);

  beforeAll(() => {
    const app = testApp();
    app.node.setContext('smsMonthlySpendLimitUsd', '30');
    stack = addTelemetryStacks(app).stateless;
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Resources;
  });

  describe('IoT Core logging', () => {
    it('logs warnings and errors of the whole account through its own role, after the role may write', () => {
      const setup = stack.accountSetup;
      if (!setup) throw new Error('the default stage owns the account setup');
      template.resourceCountIs('AWS::IoT::Logging', 1);
      template.hasResourceProperties('AWS::IoT::Logging', {
        AccountId: { Ref: 'AWS::AccountId' },
        DefaultLogLevel: 'WARN',
        RoleArn: { 'Fn::GetAtt': [id(setup.iotLogging.role), 'Arn'] },
      });
      const logging = Object.values(resources).find((r) => r.Type === 'AWS::IoT::Logging');
      expect(logging?.DependsOn?.some((d) => d.startsWith('IotLoggingRoleDefaultPolicy'))).toBe(true);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
        },
        Description: Match.stringLikeRegexp('AWSIotLogsV2'),
      });
    });

    it('keeps AWSIotLogsV2 for a month', () => {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: IOT_LOG_GROUP_NAME,
        RetentionInDays: 30,
      });
    });

    it('counts refused connects, publishes and subscribes, and failed rule executions', () => {
      expect(IOT_LOG_PATTERNS.denied).toContain('$.reason = "AUTHORIZATION_FAILURE"');
      expect(IOT_LOG_PATTERNS.ruleFailures).toContain('$.eventType = "RuleExecution"');
      const filters = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::MetricFilter');
      const onIotLog = filters.filter((f) =>
        JSON.stringify(f.Properties.LogGroupName).includes('IotLoggingLogGroup'),
      );
      expect(
        onIotLog.map((f) => [
          f.Properties.FilterPattern,
          (f.Properties.MetricTransformations as object[])[0],
        ]),
      ).toEqual([
        [
          IOT_LOG_PATTERNS.denied,
          {
            MetricNamespace: ACCOUNT_METRIC_NAMESPACE,
            MetricName: 'IotAuthorizationFailures',
            MetricValue: '1',
          },
        ],
        [
          IOT_LOG_PATTERNS.ruleFailures,
          { MetricNamespace: ACCOUNT_METRIC_NAMESPACE, MetricName: 'IotRuleFailures', MetricValue: '1' },
        ],
      ]);
    });
  });

  describe('SMS delivery status', () => {
    it('sets the account SMS attributes: delivery-status role, sampling of successes and the spend limit', () => {
      const [custom] = Object.values(resources).filter(
        (r) => r.Type === 'Custom::AWS' && JSON.stringify(r.Properties.Create).includes('SetSMSAttributes'),
      );
      if (!custom) throw new Error('no SetSMSAttributes custom resource');
      const create = flatten(custom.Properties.Create);
      const role = stack.accountSetup?.smsDeliveryStatus.role;
      if (!role) throw new Error('no SMS delivery role');
      expect(JSON.parse(create)).toMatchObject({
        service: 'SNS',
        action: 'SetSMSAttributes',
        parameters: {
          attributes: {
            DeliveryStatusIAMRole: `\${${id(role)}.Arn}`,
            DeliveryStatusSuccessSamplingRate: String(SMS_SUCCESS_SAMPLING_PERCENT),
            MonthlySpendLimit: '30',
          },
        },
      });
      expect(flatten(custom.Properties.Update)).toBe(create);
    });

    it('lets SNS write only to SNS log groups, and the custom resource only set SMS attributes and pass that role', () => {
      const role = stack.accountSetup?.smsDeliveryStatus.role;
      if (!role) throw new Error('no SMS delivery role');
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'sns.amazonaws.com' } })],
        },
      });
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap(
          (p) =>
            (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
              .Statement,
        );
      const withAction = (action: string) =>
        statements
          .filter((s) => asList(s.Action as string | string[]).includes(action))
          .flatMap((s) => asList(s.Resource).map(flatten));
      expect(withAction('logs:PutLogEvents')).toContain(
        `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:sns/\${AWS::Region}/\${AWS::AccountId}/*`,
      );
      expect(withAction('sns:SetSMSAttributes')).toEqual(['*']);
      expect(withAction('iam:PassRole')).toEqual([`\${${id(role)}.Arn}`]);
    });

    it('keeps the SMS delivery-status logs (failures and sampled successes) for three months', () => {
      for (const suffix of ['/DirectPublishToPhoneNumber', '/DirectPublishToPhoneNumber/Failure']) {
        const group = Object.values(resources).find(
          (r) =>
            r.Type === 'AWS::Logs::LogGroup' &&
            r.Properties.LogGroupName !== undefined &&
            flatten(r.Properties.LogGroupName).endsWith(suffix),
        );
        expect(flatten(group?.Properties.LogGroupName)).toBe(
          `sns/\${AWS::Region}/\${AWS::AccountId}${suffix}`,
        );
        expect(group?.Properties.RetentionInDays).toBe(90);
      }
    });

    it('leaves the account settings to the owning stage: another stage in the account sets none', () => {
      const other = addTelemetryStacks(testApp(), { stage: 'qa', accountSetup: false }).stateless;
      const t = Template.fromStack(other);
      t.resourceCountIs('AWS::IoT::Logging', 0);
      expect(JSON.stringify(t.toJSON())).not.toContain('SetSMSAttributes');
      expect(JSON.stringify(t.toJSON())).not.toContain(IOT_LOG_GROUP_NAME);
    });
  });

  describe('live alarm events in the cloud', () => {
    it('writes every evt/alarms/<site> event to a log group kept a year, reporting failures to the rule-error queue', () => {
      const events = stack.alarmEvents;
      template.hasResourceProperties('AWS::IoT::TopicRule', {
        RuleName: 'dev_pamir_alarm_events',
        TopicRulePayload: Match.objectLike({
          Sql: `SELECT * FROM '${alarmEventTopic('+')}'`,
          Actions: [
            {
              CloudwatchLogs: {
                LogGroupName: { Ref: id(events.logGroup) },
                RoleArn: { 'Fn::GetAtt': [id(events.role), 'Arn'] },
              },
            },
          ],
          ErrorAction: {
            Sqs: Match.objectLike({ QueueUrl: { Ref: id(stack.ingest.ruleErrorQueue) } }),
          },
        }),
      });
      expect(resources[id(events.logGroup)]?.Properties.RetentionInDays).toBe(365);
    });

    it('lets only this rule assume its role, which may write only to that log group and the error queue', () => {
      const role = resources[id(stack.alarmEvents.role)];
      if (!role) throw new Error('no alarm-event role');
      const [trust] = (
        role.Properties.AssumeRolePolicyDocument as {
          Statement: { Condition: { ArnLike: Record<string, unknown> } }[];
        }
      ).Statement;
      expect(flatten(trust?.Condition.ArnLike['aws:SourceArn'])).toBe(
        `${IOT_ARN_PREFIX}rule/dev_pamir_alarm_events`,
      );
      const policy = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: id(stack.alarmEvents.role) }]),
      );
      if (!policy) throw new Error('the alarm-event role has no policy');
      const resourcesOf = (
        policy.Properties.PolicyDocument as { Statement: { Resource: unknown }[] }
      ).Statement.flatMap((s) => asList(s.Resource).map(flatten));
      expect(resourcesOf.sort()).toEqual(
        [`\${${id(stack.alarmEvents.logGroup)}.Arn}`, `\${${id(stack.ingest.ruleErrorQueue)}.Arn}`].sort(),
      );
    });
  });

  describe('dashboard', () => {
    let body: string;

    beforeAll(() => {
      const dashboard = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
      expect(dashboard?.Properties.DashboardName).toBe('PamirTelemetry-dev-pipeline');
      body = flatten(dashboard?.Properties.DashboardBody);
    });

    it('shows queue depth and age, dead letters and rule errors', () => {
      for (const metric of [
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateAgeOfOldestMessage',
      ])
        expect(body).toContain(`"${metric}"`);
      for (const queue of [stack.ingest.queue, stack.ingest.deadLetterQueue, stack.ingest.ruleErrorQueue])
        expect(body).toContain(`\${${id(queue)}.QueueName}`);
    });

    it('shows ingest invocations, errors, throttles and duration, and the API’s 4xx, 5xx and latency', () => {
      for (const metric of [
        'Invocations',
        'Errors',
        'Throttles',
        'Duration',
        '4xx',
        '5xx',
        'Latency',
        'Count',
      ])
        expect(body).toContain(`"${metric}"`);
      expect(body).toContain('"AWS/ApiGateway"');
      expect(body).toContain(`\${${id(stack.functions.ingest.function)}}`);
    });

    it("shows the functions' service metrics in this stage's dimension, and per reason and severity", () => {
      for (const metric of [
        SERVICE_METRICS.samplesStored,
        SERVICE_METRICS.messagesQuarantined,
        SERVICE_METRICS.alarmsRaised,
        SERVICE_METRICS.smsSent,
        SERVICE_METRICS.smsFailed,
      ])
        expect(body).toContain(
          `["${SERVICE_METRICS.namespace}","${metric}","${SERVICE_METRICS.stageDimension}","dev"`,
        );
      expect(body).toContain(
        `SEARCH('{${SERVICE_METRICS.namespace},${SERVICE_METRICS.stageDimension},reason} MetricName=\\"${SERVICE_METRICS.messagesQuarantined}\\" stage=\\"dev\\"'`,
      );
      expect(body).toContain(',severity}');
    });
  });
});
