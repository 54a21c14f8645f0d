import { Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * The account's IoT data endpoint (`iot:Data-ATS`), which the IoT Data Plane client needs and which no
 * CloudFormation resource returns: looked up at deployment by a CDK custom resource calling DescribeEndpoint.
 */
export class IotDataEndpoint extends Construct {
  /** Host name of the endpoint, e.g. `abc123-ats.iot.eu-central-1.amazonaws.com`. */
  public readonly address: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'LookupLogs', { retention: RetentionDays.ONE_MONTH });
    // An own role rather than AWSLambdaBasicExecutionRole, so the lookup may write only to its own log group.
    const role = new Role(this, 'LookupRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    const lookup = new AwsCustomResource(this, 'Lookup', {
      onUpdate: {
        service: 'IoT',
        action: 'DescribeEndpoint',
        parameters: { endpointType: 'iot:Data-ATS' },
        physicalResourceId: PhysicalResourceId.of('iot-data-ats-endpoint'),
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'iot:DescribeEndpoint supports no resource-level permissions; it is the only action this policy allows.',
    });
    this.address = lookup.getResponseField('endpointAddress');
  }
}
