import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { TableName } from '../../functions/contract';
import { AlarmTopic } from '../constructs/alarm-topic';
import { OperatorDirectory } from '../constructs/operator-directory';
import { TelemetryTables } from '../constructs/telemetry-tables';

/**
 * What must outlive a redeployment: the tables, the alarm topic (its SMS subscriptions) and the operator directory.
 * Deployed rarely, with termination protection; every resource in it is retained when the stack is deleted.
 */
export class StatefulStack extends Stack {
  public readonly tables: Record<TableName, ITable>;
  public readonly alarmTopic: ITopic;
  public readonly userPool: IUserPool;
  public readonly userPoolClient: IUserPoolClient;
  /** The Cognito managed sign-in domain's base URL (https://…amazoncognito.com), for the console site. */
  public readonly signInUrl: string;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { terminationProtection: true, ...props });

    this.tables = new TelemetryTables(this, 'Tables').tables;
    this.alarmTopic = new AlarmTopic(this, 'Alarms').topic;
    const directory = new OperatorDirectory(this, 'Operators');
    this.userPool = directory.userPool;
    this.userPoolClient = directory.consoleClient;
    this.signInUrl = directory.domain.baseUrl();

    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'ConsoleClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'ConsoleSignInUrl', { value: this.signInUrl });
  }
}
