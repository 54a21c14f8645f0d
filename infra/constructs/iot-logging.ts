import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnLogging } from 'aws-cdk-lib/aws-iot';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_METRICS } from '../../functions/contract';

/** The log group IoT Core's v2 logging writes to; its name is fixed by AWS, one per account and region. */
export const IOT_LOG_GROUP_NAME = 'AWSIotLogsV2';

/** Namespace of account-wide metrics counted from AWS's own logs (not per stage: the logs are the account's). */
export const ACCOUNT_METRIC_NAMESPACE = `${SERVICE_METRICS.namespace}/account`;

/**
 * IoT Core's filter-pattern terms, from its CloudWatch Logs entry format: a refused connect, publish or subscribe is
 * logged with `status` `Failure` and `reason` `AUTHORIZATION_FAILURE` (eventType `Connect`, `Publish-In`,
 * `Subscribe`); a rule whose SQL or action fails logs eventType `RuleExecution` with `status` `Failure`.
 */
export const IOT_LOG_PATTERNS = {
  denied: '{ ($.status = "Failure") && ($.reason = "AUTHORIZATION_FAILURE") }',
  ruleFailures: '{ ($.eventType = "RuleExecution") && ($.status = "Failure") }',
} as const;

export interface IotLoggingProps {
  /**
   * How long IoT's log entries are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly retention?: RetentionDays;
}

/**
 * The account's IoT Core logging (`AWS::IoT::Logging`, an account-wide singleton) at level WARN: errors and warnings
 * only, so a device refused on another device's topic or a failing rule leaves a trace, while the INFO entry of
 * every accepted publish (a cost proportional to the fleet) is not written. Owns the `AWSIotLogsV2` log group with a
 * retention, and counts refusals and rule failures as metrics for the pipeline-health alarms.
 *
 * Deployed by exactly one stage per account and region (`-c accountSetup=true`); it fails to deploy where the log
 * group already exists (IoT logging enabled by hand before): delete that log group first, or deploy this stage with
 * `-c accountSetup=false`.
 */
export class IotLogging extends Construct {
  public readonly logGroup: LogGroup;
  public readonly role: Role;
  public readonly logging: CfnLogging;
  /** Refused connects, publishes and subscribes (count per period). */
  public readonly deniedMetric: IMetric;
  /** Failed rule executions (count per period). */
  public readonly ruleFailureMetric: IMetric;

  constructor(scope: Construct, id: string, props: IotLoggingProps = {}) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: IOT_LOG_GROUP_NAME,
      retention: props.retention ?? RetentionDays.ONE_MONTH,
      // IoT keeps writing here whether or not the stack exists; its entries are evidence, not state to discard.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      description: 'Assumed by AWS IoT Core to write its WARN and ERROR log entries to AWSIotLogsV2.',
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    this.logGroup.grantWrite(this.role);
    this.logging = new CfnLogging(this, 'Logging', {
      accountId: Aws.ACCOUNT_ID,
      roleArn: this.role.roleArn,
      defaultLogLevel: 'WARN',
    });
    // The role's policy must be in place before IoT starts logging with it (the role itself is already referenced).
    this.logging.node.addDependency(this.role.node.findChild('DefaultPolicy'), this.logGroup);

    const count = (name: string, pattern: string, metricName: string) =>
      new MetricFilter(this, name, {
        logGroup: this.logGroup,
        filterPattern: FilterPattern.literal(pattern),
        metricNamespace: ACCOUNT_METRIC_NAMESPACE,
        metricName,
        metricValue: '1',
      }).metric({ period: Duration.minutes(5), statistic: 'Sum' });
    this.deniedMetric = count('DeniedFilter', IOT_LOG_PATTERNS.denied, 'IotAuthorizationFailures');
    this.ruleFailureMetric = count('RuleFailureFilter', IOT_LOG_PATTERNS.ruleFailures, 'IotRuleFailures');
  }
}
