import { ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { HEALTH_LOG_EVENTS, INGEST_QUEUE, SERVICE_METRICS } from '../../functions/contract';
import type { FunctionName } from '../wiring';
import { deploymentSettings, stageName } from './deployment-settings';
import type { TelemetryFunction } from './telemetry-function';

/**
 * Every health alarm's name starts with `PamirTelemetry-<stage>-health-`; the topic's key and policy admit only alarms
 * named so, so one stage's alarms never notify another stage's engineers.
 */
function healthAlarmPrefix(scope: IConstruct): string {
  return stageName(scope, 'health-');
}

/**
 * Ingest is behind when its oldest queued message is older than a failing message can get before it moves to the
 * dead-letter queue (every receive times out, then one more minute): one bad message is the dead-letter alarm's
 * business, a queue this old means samples, and the alarms they would raise, are not being stored.
 */
export const INGEST_LAG_ALARM_S = INGEST_QUEUE.visibilityTimeoutS * INGEST_QUEUE.maxReceiveCount + 60;

/**
 * Namespace of the metrics the stage's log metric filters count (`PamirTelemetry/<stage>`): a metric filter cannot
 * add a constant dimension, so the stage is in the namespace. The functions' own metrics (`SERVICE_METRICS`) carry a
 * `stage` dimension instead.
 */
function healthMetricNamespace(scope: IConstruct): string {
  return `${SERVICE_METRICS.namespace}/${deploymentSettings(scope).stage}`;
}

/** Share of the SMS spend limit at which engineers are told, before SNS silently stops sending alarm SMS. */
const SMS_SPEND_ALARM_SHARE = 0.8;

export interface PipelineHealthProps {
  readonly ingestQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ruleErrorQueue: IQueue;
  readonly functions: Readonly<Record<FunctionName, TelemetryFunction>>;
  /** The account's SNS `MonthlySpendLimit` for SMS, USD (AWS's default for a new account is 1). */
  readonly smsMonthlySpendLimitUsd: number;
  /** Addresses that receive the health alarms by e-mail (each confirms its subscription once). */
  readonly emails?: readonly string[];
  /** The topic alarm SMS go out through: SNS counts its failed SMS deliveries. */
  readonly alarmTopic: ITopic;
  /**
   * The account's IoT log metrics (infra/constructs/iot-logging.ts), in the one stage that owns the account's IoT
   * logging (`-c accountSetup=true`).
   */
  readonly iotLogMetrics?: { readonly denied: IMetric; readonly ruleFailures: IMetric };
}

/** A metric the functions emit through Powertools Metrics, in this stage's dimension. */
export function serviceMetric(
  scope: IConstruct,
  metricName: string,
  options: { period?: Duration; statistic?: string } = {},
): Metric {
  return new Metric({
    namespace: SERVICE_METRICS.namespace,
    metricName,
    dimensionsMap: { [SERVICE_METRICS.stageDimension]: deploymentSettings(scope).stage },
    period: options.period ?? Duration.minutes(5),
    statistic: options.statistic ?? 'Sum',
  });
}

interface HealthAlarm {
  name: string;
  metric: IMetric;
  threshold: number;
  comparison: ComparisonOperator;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  missing: TreatMissingData;
  description: string;
}

/**
 * CloudWatch alarms on the pipeline itself, to engineers: a sample that cannot be stored, ingest falling behind,
 * a function failing, stored samples whose alarm evaluation keeps failing, the alarm sweep (reminders, escalation, offline detection) not running, and SMS spend nearing
 * the limit past which SNS sends no alarm SMS at all. Nothing the service loses or delays goes unnoticed.
 *
 * The topic is encrypted with its own key: CloudWatch cannot publish to a topic under the AWS-managed SNS key, so the
 * key and the topic admit the CloudWatch service only for this account's health alarms.
 */
export class PipelineHealth extends Construct {
  public readonly topic: Topic;
  public readonly key: Key;
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: PipelineHealthProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const alarmPrefix = healthAlarmPrefix(this);
    const alarmArns = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${alarmPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const fromHealthAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': alarmArns },
    };
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');

    this.key = new Key(this, 'TopicKey', {
      description: 'Encrypts the Pamir Telemetry pipeline-health topic (CloudWatch alarm notifications).',
      enableKeyRotation: true,
      // Notifications in flight are its only data: nothing to keep once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'HealthAlarmsEncryptNotifications',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromHealthAlarms,
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Pamir Telemetry pipeline health',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'HealthAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromHealthAlarms,
      }),
    );
    for (const email of props.emails ?? []) this.topic.addSubscription(new EmailSubscription(email));

    const minutes = (n: number) => Duration.minutes(n);
    const queueAlarm = (name: string, queue: IQueue, what: string): HealthAlarm => ({
      name,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // An idle queue may stop reporting: no data means no message waiting.
      missing: TreatMissingData.NOT_BREACHING,
      description: what,
    });
    // The sweep logs this line for every device whose alarm evaluation keeps failing; counting it needs no SDK.
    const stuckEvaluations = new MetricFilter(this, 'EvaluationStuckFilter', {
      logGroup: props.functions.alarmSweep.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', HEALTH_LOG_EVENTS.evaluationStuck),
      metricNamespace: healthMetricNamespace(this),
      metricName: 'AlarmEvaluationStuck',
      metricValue: '1',
    });
    const specs: HealthAlarm[] = [
      queueAlarm(
        'dead-letters',
        props.deadLetterQueue,
        'Telemetry the ingest function failed on five times is waiting in the dead-letter queue (nothing is lost ' +
          'for 14 days). Find the cause in the ingest logs, fix it, then redrive the queue into the ingest queue.',
      ),
      queueAlarm(
        'rule-errors',
        props.ruleErrorQueue,
        'The IoT rules could not enqueue device messages (or log live alarm events); the error reports (with each ' +
          'payload in base64) are in the rule-error queue. Usually a queue policy or KMS problem: fix it, then replay ' +
          'the payloads.',
      ),
      {
        name: 'ingest-lag',
        metric: props.ingestQueue.metricApproximateAgeOfOldestMessage({
          period: minutes(1),
          statistic: 'Maximum',
        }),
        threshold: INGEST_LAG_ALARM_S,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        missing: TreatMissingData.NOT_BREACHING,
        description: `Telemetry has waited over ${INGEST_LAG_ALARM_S} s in the ingest queue: readings, and the water alarms they would raise, are late. Check the ingest function's errors, throttles and concurrency.`,
      },
      ...(Object.entries(props.functions) as [FunctionName, TelemetryFunction][]).map(
        ([name, fn]): HealthAlarm => ({
          name: `${name}-errors`,
          metric: fn.function.metricErrors({ period: minutes(5), statistic: 'Sum' }),
          threshold: 1,
          comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Failing in two of three 5-minute periods: repeatedly, not one retried hiccup.
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          missing: TreatMissingData.NOT_BREACHING,
          description: `The ${name} function keeps failing (errors in two of the last three 5-minute periods); see its log group.`,
        }),
      ),
      {
        name: 'alarm-sweep-silent',
        metric: props.functions.alarmSweep.function.metricInvocations({
          period: minutes(5),
          statistic: 'Sum',
        }),
        threshold: 1,
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        // No invocations reported is exactly the failure this alarm is for.
        missing: TreatMissingData.BREACHING,
        description:
          'The alarm sweep has not run for 10 minutes: no reminders, escalations, offline-device alarms or flood ' +
          'digests are sent. Check its EventBridge schedule.',
      },
      {
        name: 'alarm-evaluation-stuck',
        metric: stuckEvaluations.metric({ period: minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // The filter reports only when the line is logged: no data is no stuck evaluation.
        missing: TreatMissingData.NOT_BREACHING,
        description:
          "A device's readings are stored but its alarm evaluation has kept failing (5 attempts or 15 minutes): " +
          'its water alarms may be missed. Search the alarm-sweep log for "alarm evaluation stuck" (deviceId, ' +
          'sample range, error); the sweep keeps retrying and the alarm clears once it succeeds.',
      },
      {
        name: 'sms-spend',
        metric: new Metric({
          namespace: 'AWS/SNS',
          metricName: 'SMSMonthToDateSpentUSD',
          period: Duration.hours(1),
          statistic: 'Maximum',
        }),
        threshold: SMS_SPEND_ALARM_SHARE * props.smsMonthlySpendLimitUsd,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        missing: TreatMissingData.NOT_BREACHING,
        description: `SMS spend this month (the account's) has reached ${SMS_SPEND_ALARM_SHARE * 100} % of the ${props.smsMonthlySpendLimitUsd} USD limit; at the limit SNS stops sending alarm SMS without an error. Raise MonthlySpendLimit (aws sns set-sms-attributes) and the smsMonthlySpendLimitUsd context value.`,
      },
      {
        name: 'sms-delivery-failed',
        metric: new Metric({
          namespace: 'AWS/SNS',
          metricName: 'NumberOfNotificationsFailed',
          dimensionsMap: { TopicName: props.alarmTopic.topicName },
          period: minutes(5),
          statistic: 'Sum',
        }),
        threshold: 1,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'SNS could not deliver alarm SMS from the alarm topic to some phones (carrier refusal, opted-out or invalid ' +
          'number, spend limit, sandbox). The reason per message is in the SMS delivery-status log ' +
          '(sns/<region>/<account>/DirectPublishToPhoneNumber/Failure); see docs/deploy.md.',
      },
      {
        name: 'sms-send-failed',
        metric: serviceMetric(this, SERVICE_METRICS.smsFailed),
        threshold: 1,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'The functions could not hand alarm SMS to SNS (the SmsFailed metric): throttling, a missing permission ' +
          'or an SNS outage. Search the ingest and alarm-sweep logs for the failed publish; the sweep retries reminders.',
      },
      ...(props.iotLogMetrics
        ? [
            {
              name: 'iot-denied',
              metric: props.iotLogMetrics.denied,
              threshold: 1,
              comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
              evaluationPeriods: 1,
              missing: TreatMissingData.NOT_BREACHING,
              description:
                'IoT Core refused a connect, publish or subscribe (AUTHORIZATION_FAILURE in AWSIotLogsV2): a device ' +
                "publishing on another device's topic, a certificate not attached to its thing, or a wrong policy. " +
                'The log entry names clientId, topicName and principalId; see docs/deploy.md.',
            },
            {
              name: 'iot-rule-failures',
              metric: props.iotLogMetrics.ruleFailures,
              threshold: 1,
              comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
              evaluationPeriods: 1,
              missing: TreatMissingData.NOT_BREACHING,
              description:
                'An IoT rule failed to run (RuleExecution Failure in AWSIotLogsV2): its SQL or an action failed. ' +
                'Failed deliveries are in the rule-error queue; the log entry names the rule and the reason.',
            },
          ]
        : []),
    ];

    const action = new SnsAction(this.topic);
    this.alarms = specs.map((spec) => {
      const alarm = new Alarm(this, spec.name, {
        alarmName: `${alarmPrefix}${spec.name}`,
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: spec.evaluationPeriods,
        ...(spec.datapointsToAlarm ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
        treatMissingData: spec.missing,
      });
      alarm.addAlarmAction(action);
      // Engineers also learn when it is over.
      alarm.addOkAction(action);
      return alarm;
    });

    new CfnOutput(stack, 'HealthTopicArn', {
      value: this.topic.topicArn,
      description: 'Pipeline-health alarms: subscribe engineers (e-mail, SMS) to this topic.',
    });
  }
}
