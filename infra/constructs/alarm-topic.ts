import { RemovalPolicy } from 'aws-cdk-lib';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The SNS topic every alarm SMS is published to. Phones subscribe to it (protocol `sms`) with filter policies over
 * the message attributes, so the subscriptions are state: the topic is retained when its stack is deleted.
 *
 * Spend limit: SMS spending is an account setting, not a topic property, so it is not set here. After deploying,
 * set `MonthlySpendLimit` (`aws sns set-sms-attributes`) above the expected alarm volume — SNS silently stops
 * sending SMS once the month's limit is reached, which for a safe-water alarm is worse than the bill — and alarm on
 * the `SMSMonthToDateSpentUSD` CloudWatch metric well before the limit. New accounts are also in the SMS sandbox
 * (verified numbers only) until AWS moves them out.
 */
export class AlarmTopic extends Construct {
  public readonly topic: Topic;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      // The AWS-managed key: publishers in the account need no key grant, and there is no key to administer.
      masterKey: Alias.fromAliasName(this, 'AwsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    this.topic.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
