import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  INGEST_QUEUE,
  IOT_SQL_VERSION,
  type TableName,
  TELEMETRY_RULES,
  telemetryRuleSql,
} from '../../functions/contract';
import { FUNCTIONS } from '../wiring';
import { telemetryRuleName } from './deployment-settings';
import { TelemetryFunction } from './telemetry-function';

export interface IngestPipelineProps {
  /**
   * The service's tables: the ingest function stores readings, quarantines rejects, looks devices up, and raises and
   * clears alarms (which also reads recent readings).
   */
  readonly tables: Readonly<Record<TableName, ITable>>;
}

/** Server-side encryption and TLS-only access, shared by every queue of the pipeline. */
const SECURE_QUEUE: QueueProps = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true };

/**
 * Device message → IoT rule (one per `TELEMETRY_RULES` entry, named by `telemetryRuleName`) → SQS queue → batched
 * ingest function.
 * A message the function fails on `maxReceiveCount` times moves to the dead-letter queue; a message the rule itself
 * cannot deliver goes, by the rule's error action, to the rule-error queue. Nothing a device sends is dropped.
 */
export class IngestPipeline extends Construct {
  /** Envelopes written by the rules, read in batches by the ingest function. */
  public readonly queue: Queue;
  /** Envelopes the ingest function failed on `INGEST_QUEUE.maxReceiveCount` times. */
  public readonly deadLetterQueue: Queue;
  /** IoT error-action reports (with the original payload in base64) for messages the rules could not enqueue. */
  public readonly ruleErrorQueue: Queue;
  public readonly ingest: TelemetryFunction;
  /** The role IoT Core assumes to run the rules' actions: it may only send to the two queues above. */
  public readonly ruleRole: Role;
  /** One topic rule per entry of `TELEMETRY_RULES`, in the same order. */
  public readonly rules: readonly CfnTopicRule[];

  constructor(scope: Construct, id: string, props: IngestPipelineProps) {
    super(scope, id);
    if (INGEST_QUEUE.visibilityTimeoutS < FUNCTIONS.ingest.timeoutS) {
      throw new Error('INGEST_QUEUE.visibilityTimeoutS must be at least the ingest function timeout');
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...SECURE_QUEUE,
      retentionPeriod: Duration.days(INGEST_QUEUE.dlqRetentionDays),
    });
    this.queue = new Queue(this, 'Queue', {
      ...SECURE_QUEUE,
      visibilityTimeout: Duration.seconds(INGEST_QUEUE.visibilityTimeoutS),
      // As long as the dead-letter queue: a stalled ingest (a bad deploy over a holiday) loses no telemetry for two weeks.
      retentionPeriod: Duration.days(INGEST_QUEUE.retentionDays),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_QUEUE.maxReceiveCount },
    });
    // Separate from the dead-letter queue: its messages have another shape (IoT error reports, not envelopes),
    // so redriving the dead-letter queue into the ingest queue stays safe.
    this.ruleErrorQueue = new Queue(this, 'RuleErrorQueue', {
      ...SECURE_QUEUE,
      retentionPeriod: Duration.days(INGEST_QUEUE.dlqRetentionDays),
    });
    Validations.of(this.ruleErrorQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "Terminal queue of the IoT rules' error action, i.e. the rules' own dead-letter queue. Nothing consumes it " +
        'automatically, so a dead-letter queue behind it would never receive a message.',
    });

    this.ingest = new TelemetryFunction(this, 'IngestFunction', {
      name: 'ingest',
      description: 'Validates telemetry envelopes from the ingest queue, stores samples, evaluates alarms.',
    })
      .useTables(props.tables)
      .useRequeue(this.queue);
    this.ingest.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: INGEST_QUEUE.batchSize,
        maxBatchingWindow: Duration.seconds(INGEST_QUEUE.maxBatchingWindowS),
        reportBatchItemFailures: true,
      }),
    );

    const stack = Stack.of(this);
    const ruleArns = TELEMETRY_RULES.map((rule) =>
      stack.formatArn({
        service: 'iot',
        resource: 'rule',
        resourceName: telemetryRuleName(this, rule.ruleName),
      }),
    );
    this.ruleRole = new Role(this, 'RuleRole', {
      description: 'Assumed by the telemetry IoT rules to enqueue messages and error reports.',
      // Confused-deputy guard: only this account's telemetry rules may assume the role.
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': ruleArns },
        },
      }),
    });
    this.ruleRole.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn, this.ruleErrorQueue.queueArn],
      }),
    );

    this.rules = TELEMETRY_RULES.map((rule) => {
      const topicRule = new CfnTopicRule(this, `${rule.kind}-rule`, {
        ruleName: telemetryRuleName(this, rule.ruleName),
        topicRulePayload: {
          description: `Forwards ${rule.topicFilter} messages, JSON or not, to the ingest queue.`,
          sql: telemetryRuleSql(rule.topicFilter),
          awsIotSqlVersion: IOT_SQL_VERSION,
          ruleDisabled: false,
          actions: [
            { sqs: { queueUrl: this.queue.queueUrl, roleArn: this.ruleRole.roleArn, useBase64: false } },
          ],
          errorAction: {
            sqs: { queueUrl: this.ruleErrorQueue.queueUrl, roleArn: this.ruleRole.roleArn, useBase64: false },
          },
        },
      });
      // The role's policy must exist before the rule forwards its first message, or that delivery is denied (the
      // role itself is already referenced).
      topicRule.node.addDependency(this.ruleRole.node.findChild('DefaultPolicy'));
      return topicRule;
    });
  }
}
