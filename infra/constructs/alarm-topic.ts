import { RemovalPolicy } from 'aws-cdk-lib';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The SNS topic every alarm SMS is published to. Phones subscribe to it (protocol `sms`) with filter policies over
 * the message attributes, so the subscriptions are state: the topic is retained when its stack is deleted.
 *
 * Spend limit and delivery status: SMS spending and delivery-status logging are account settings, not topic
 * properties; the stage that owns the account setup sets them (infra/constructs/sms-delivery-status.ts, with
 * `MonthlySpendLimit` from `-c smsMonthlySpendLimitUsd`). SNS silently stops sending SMS once the month's limit is
 * reached, which for a safe-water alarm is worse than the bill, so pipeline health alarms on the spend well before the
 * limit and on every failed delivery from this topic. New accounts are also in the SMS sandbox (verified numbers only)
 * until AWS moves them out (docs/deploy.md).
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
