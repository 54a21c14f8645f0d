import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarmEventTopic, IOT_SQL_VERSION } from '../../functions/contract';
import { stageRuleName } from './deployment-settings';

/** The rule's name before the stage prefix: `<stage>_pamir_alarm_events`. */
const ALARM_EVENT_RULE = 'pamir_alarm_events';

export interface AlarmEventLogProps {
  /** Where IoT reports an event it could not write (the telemetry rules' error queue). */
  readonly errorQueue: IQueue;
  /**
   * How long alarm events are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly retention?: RetentionDays;
}

/**
 * The cloud's subscriber of live alarm events (`evt/alarms/<siteId>`, published by the functions through the IoT data
 * endpoint): an IoT rule writes every event to a CloudWatch log group, an audit trail of what consoles were shown and
 * when. Consoles themselves subscribe over MQTT over WebSockets (a later issue); this rule does not depend on them.
 */
export class AlarmEventLog extends Construct {
  public readonly logGroup: LogGroup;
  public readonly rule: CfnTopicRule;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: AlarmEventLogProps) {
    super(scope, id);
    const ruleName = stageRuleName(this, ALARM_EVENT_RULE);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.retention ?? RetentionDays.ONE_YEAR,
      // An audit trail outlives the stack that wrote it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      description: 'Assumed by the alarm-event IoT rule to write events to their log group.',
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'iot',
              resource: 'rule',
              resourceName: ruleName,
            }),
          },
        },
      }),
    });
    this.logGroup.grantWrite(this.role);
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.errorQueue.queueArn] }),
    );

    this.rule = new CfnTopicRule(this, 'Rule', {
      ruleName,
      topicRulePayload: {
        description: `Writes live alarm events (${alarmEventTopic('+')}) to a CloudWatch log group: their audit trail.`,
        sql: `SELECT * FROM '${alarmEventTopic('+')}'`,
        awsIotSqlVersion: IOT_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          { cloudwatchLogs: { logGroupName: this.logGroup.logGroupName, roleArn: this.role.roleArn } },
        ],
        errorAction: {
          sqs: { queueUrl: props.errorQueue.queueUrl, roleArn: this.role.roleArn, useBase64: false },
        },
      },
    });
    // The role's policy must exist before the first event is written (the role itself is already referenced).
    this.rule.node.addDependency(this.role.node.findChild('DefaultPolicy'));
  }
}
