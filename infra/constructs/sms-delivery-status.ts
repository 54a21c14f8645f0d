import { ArnFormat, Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { wildcardResourceFinding } from './nag-findings';

/** Share of successful SMS deliveries SNS logs (every failure is logged): enough to see prices and dwell times. */
export const SMS_SUCCESS_SAMPLING_PERCENT = 10;

export interface SmsDeliveryStatusProps {
  /** The account's SNS `MonthlySpendLimit` for SMS, USD (`-c smsMonthlySpendLimitUsd`). */
  readonly monthlySpendLimitUsd: number;
  /**
   * How long SMS delivery-status entries are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly retention?: RetentionDays;
}

/**
 * The account's SNS SMS settings, which are account attributes and no CloudFormation resource: delivery-status
 * logging (every failure, {@link SMS_SUCCESS_SAMPLING_PERCENT} % of successes) with the role SNS writes the logs
 * with, and `MonthlySpendLimit`, set by `sns:SetSMSAttributes` at deployment. The delivery-status log groups are
 * created here with a retention (SNS would otherwise create them on the first SMS, kept forever).
 *
 * Account-wide: deployed by exactly one stage per account and region (`-c accountSetup=true`). Deleting the stack
 * leaves the attributes as they are.
 */
export class SmsDeliveryStatus extends Construct {
  public readonly role: Role;
  /** `sns/<region>/<account>/DirectPublishToPhoneNumber` and `…/Failure`. */
  public readonly logGroups: { readonly success: LogGroup; readonly failure: LogGroup };

  constructor(scope: Construct, id: string, props: SmsDeliveryStatusProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = `sns/${Aws.REGION}/${Aws.ACCOUNT_ID}/DirectPublishToPhoneNumber`;
    const logGroup = (name: string, logGroupName: string) =>
      new LogGroup(this, name, {
        logGroupName,
        retention: props.retention ?? RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.logGroups = {
      success: logGroup('SuccessLogs', prefix),
      failure: logGroup('FailureLogs', `${prefix}/Failure`),
    };

    this.role = new Role(this, 'Role', {
      description: 'Assumed by Amazon SNS to log SMS delivery status to CloudWatch Logs.',
      assumedBy: new ServicePrincipal('sns.amazonaws.com'),
    });
    // SNS names the log group after the message's origin (a direct publish, or the topic), so the grant covers the
    // account's SNS log groups of this region and nothing else.
    const snsLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `sns/${Aws.REGION}/${Aws.ACCOUNT_ID}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [snsLogGroups],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: wildcardResourceFinding(this, snsLogGroups),
      reason:
        "SNS writes SMS delivery status to log groups it names after the message's origin " +
        '(sns/<region>/<account>/DirectPublishToPhoneNumber or a topic name) and to streams it names itself; the ' +
        "wildcard is limited to this account's SNS log groups in this region.",
    });

    const attributes = {
      DeliveryStatusIAMRole: this.role.roleArn,
      DeliveryStatusSuccessSamplingRate: String(SMS_SUCCESS_SAMPLING_PERCENT),
      MonthlySpendLimit: String(props.monthlySpendLimitUsd),
    };
    const setAttributes = {
      service: 'SNS',
      action: 'SetSMSAttributes',
      parameters: { attributes },
      physicalResourceId: PhysicalResourceId.of('sns-sms-attributes'),
    };
    const apply = new AwsCustomResource(this, 'SmsAttributes', {
      onCreate: setAttributes,
      onUpdate: setAttributes,
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['sns:SetSMSAttributes'], resources: ['*'] }),
        // SNS checks that the caller may hand it the delivery-status role.
        new PolicyStatement({ actions: ['iam:PassRole'], resources: [this.role.roleArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    // SNS may log as soon as the attributes are set: its policy and the log groups come first.
    apply.node.addDependency(
      this.role.node.findChild('DefaultPolicy'),
      this.logGroups.success,
      this.logGroups.failure,
    );
    Validations.of(apply).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'sns:SetSMSAttributes sets account attributes and supports no resource-level permissions.',
    });
  }
}
