import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_LOG_EVENTS, INGEST_QUEUE, SERVICE_METRICS } from '../../functions/contract';
import { ACCOUNT_METRIC_NAMESPACE } from '../../infra/constructs/iot-logging';
import { INGEST_LAG_ALARM_S } from '../../infra/constructs/pipeline-health';
import type { StatelessStack } from '../../infra/stacks/stateless-stack';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { FUNCTIONS } from '../../infra/wiring';
import { awsSolutionsFindings, flatten, testApp } from './support';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The default stage's alarm names and log-metric namespace. */
const HEALTH_ALARM_PREFIX = 'PamirTelemetry-dev-health-';
const HEALTH_METRIC_NAMESPACE = 'PamirTelemetry/dev';

function synth(context: Record<string, string> = {}): { stack: StatelessStack; template: Template } {
  const app = testApp();
  for (const [k, v] of Object.entries(context)) app.node.setContext(k, v);
  const { stateless } = addTelemetryStacks(app);
  return { stack: stateless, template: Template.fromStack(stateless) };
}

const ref = (stack: StatelessStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('pipeline-health alarms (CloudWatch → SNS → engineers)', () => {
  let stack: StatelessStack;
  let template: Template;
  let alarms: Record<string, Resource['Properties']>;

  beforeAll(() => {
    ({ stack, template } = synth());
    alarms = Object.fromEntries(
      Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>).map((r) => [
        String(r.Properties.AlarmName).replace(HEALTH_ALARM_PREFIX, ''),
        r.Properties,
      ]),
    );
  });

  it('watches the queues, ingest lag, every function, the sweep, SMS spend and delivery, and IoT refusals', () => {
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'alarm-evaluation-stuck',
        'alarm-sweep-silent',
        'dead-letters',
        'ingest-lag',
        'iot-denied',
        'iot-rule-failures',
        'rule-errors',
        'sms-delivery-failed',
        'sms-send-failed',
        'sms-spend',
        ...Object.keys(FUNCTIONS).map((f) => `${f}-errors`),
      ].sort(),
    );
  });

  it('raises on the first message in the dead-letter or rule-error queue', () => {
    const queues = {
      'dead-letters': ref(stack, stack.ingest.deadLetterQueue),
      'rule-errors': ref(stack, stack.ingest.ruleErrorQueue),
    };
    for (const [name, queue] of Object.entries(queues)) {
      expect(alarms[name], name).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('calls ingest late only beyond the time one failing message may take to reach the dead-letter queue', () => {
    expect(INGEST_LAG_ALARM_S).toBeGreaterThan(
      INGEST_QUEUE.visibilityTimeoutS * INGEST_QUEUE.maxReceiveCount,
    );
    expect(alarms['ingest-lag']).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [ref(stack, stack.ingest.queue), 'QueueName'] } },
      ],
      Threshold: INGEST_LAG_ALARM_S,
    });
  });

  it('treats a sweep that reports no invocations as not running, and function errors as repeated failures', () => {
    expect(alarms['alarm-sweep-silent']).toMatchObject({
      MetricName: 'Invocations',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    expect(alarms['ingest-errors']).toMatchObject({
      MetricName: 'Errors',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ref(stack, stack.functions.ingest.function) } }],
    });
  });

  it("counts the sweep's stuck-evaluation log lines and raises on the first one", () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: ref(stack, stack.functions.alarmSweep.logGroup) },
      FilterPattern: `{ $.message = "${HEALTH_LOG_EVENTS.evaluationStuck}" }`,
      MetricTransformations: [
        { MetricNamespace: HEALTH_METRIC_NAMESPACE, MetricName: 'AlarmEvaluationStuck', MetricValue: '1' },
      ],
    });
    expect(alarms['alarm-evaluation-stuck']).toMatchObject({
      Namespace: HEALTH_METRIC_NAMESPACE,
      MetricName: 'AlarmEvaluationStuck',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('warns at 80 % of the SMS spend limit, which the deployer states in context', () => {
    expect(alarms['sms-spend']).toMatchObject({ MetricName: 'SMSMonthToDateSpentUSD', Threshold: 0.8 });
    const custom = synth({ smsMonthlySpendLimitUsd: '50' });
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${HEALTH_ALARM_PREFIX}sms-spend`,
      Threshold: 40,
    });
    expect(() => synth({ smsMonthlySpendLimitUsd: 'lots' })).toThrow(
      /smsMonthlySpendLimitUsd: "lots" is not a positive number/,
    );
  });

  it('raises on any failed SMS delivery from the alarm topic, and on any SMS the functions could not send', () => {
    expect(alarms['sms-delivery-failed']).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const dimensions = alarms['sms-delivery-failed']?.Dimensions as { Name: string; Value: unknown }[];
    expect(dimensions.map((d) => d.Name)).toEqual(['TopicName']);
    expect(dimensions.map((d) => flatten(d.Value))).toEqual([expect.stringMatching(/^\$\{import:/)]);
    expect(alarms['sms-send-failed']).toMatchObject({
      Namespace: SERVICE_METRICS.namespace,
      MetricName: SERVICE_METRICS.smsFailed,
      Dimensions: [{ Name: SERVICE_METRICS.stageDimension, Value: 'dev' }],
      Threshold: 1,
    });
  });

  it('raises on IoT refusals and rule failures counted from the account IoT log, only where the stage owns it', () => {
    expect(alarms['iot-denied']).toMatchObject({
      Namespace: ACCOUNT_METRIC_NAMESPACE,
      MetricName: 'IotAuthorizationFailures',
      Threshold: 1,
    });
    expect(alarms['iot-rule-failures']).toMatchObject({
      Namespace: ACCOUNT_METRIC_NAMESPACE,
      MetricName: 'IotRuleFailures',
      Threshold: 1,
    });
    const other = synth({ accountSetup: 'false' });
    const names = Object.values(
      other.template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
    ).map((r) => String(r.Properties.AlarmName));
    expect(names).toContain(`${HEALTH_ALARM_PREFIX}sms-delivery-failed`);
    expect(names.filter((n) => n.includes('iot-'))).toEqual([]);
  });

  it('notifies the health topic on alarm and on recovery', () => {
    const topic = ref(stack, stack.health.topic);
    for (const [name, alarm] of Object.entries(alarms)) {
      expect(alarm.AlarmActions, name).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions, name).toEqual([{ Ref: topic }]);
    }
  });

  it('lets only CloudWatch, for these alarms in this account, publish to the topic and use its rotating key', () => {
    const scopedTo = (anyArn: unknown) => ({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Effect: 'Allow',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': anyArn },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            ...scopedTo(Match.anyValue()),
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [ref(stack, stack.health.key), 'Arn'] },
    });
    const policy = Object.values(
      template.findResources('AWS::SNS::TopicPolicy') as Record<string, Resource>,
    ).find(
      (p) =>
        JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: ref(stack, stack.health.topic) }]),
    );
    if (!policy) throw new Error('the health topic has no topic policy');
    const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const publish = statements.find((s) => s.Sid === 'HealthAlarmsPublish') ?? {};
    expect(publish).toMatchObject({ ...scopedTo(expect.anything()), Action: 'sns:Publish' });
    const condition = publish.Condition as { ArnLike: Record<string, unknown> };
    expect(flatten(condition.ArnLike['aws:SourceArn'])).toBe(
      `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${HEALTH_ALARM_PREFIX}*`,
    );
  });

  it('subscribes the e-mail addresses given as context, and refuses a malformed one', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmails = synth({ opsEmails: 'ops@example.cn, duty@example.cn' });
    withEmails.template.resourceCountIs('AWS::SNS::Subscription', 2);
    withEmails.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'duty@example.cn',
      TopicArn: { Ref: ref(withEmails.stack, withEmails.stack.health.topic) },
    });
    expect(() => synth({ opsEmails: 'ops@example.cn,not-an-address' })).toThrow(
      /opsEmails: not-an-address is not an e-mail address/,
    );
  });

  it('adds no cdk-nag finding', () => {
    const app = testApp();
    app.node.setContext('opsEmails', 'ops@example.cn');
    addTelemetryStacks(app);
    app.synth();
    expect(awsSolutionsFindings(app)).toEqual([]);
  });
});
