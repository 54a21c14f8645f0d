import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatefulStack } from '../../infra/stacks/stateful-stack';
import type { StatelessStack } from '../../infra/stacks/stateless-stack';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { awsSolutionsFindings, testApp } from './support';

/** Every acknowledgment in the tree, with the path of the construct it was made on. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('AWS Solutions checks (cdk-nag)', () => {
  let app: App;
  let stacks: { stateful: StatefulStack; stateless: StatelessStack };

  beforeAll(() => {
    app = testApp();
    stacks = addTelemetryStacks(app);
    app.synth();
  });

  it('finds nothing unacknowledged in either stack, neither errors nor warnings', () => {
    expect(awsSolutionsFindings(app)).toEqual([]);
  });

  it('leaves no error or warning annotation on either stack', () => {
    for (const stack of [stacks.stateful, stacks.stateless]) {
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('acknowledges only the reviewed findings, each on the resource it concerns and with a reason', () => {
    const acks = acknowledgments(app);
    expect([...new Set(acks.map((a) => a.id))].sort()).toEqual([
      // The operator console (infra/constructs/operator-console-site.ts): CloudFront without a custom domain, and
      // CDK's bucket deployment.
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR4',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<ConsoleBucket86B6957C.Arn>/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/evt/alarms/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:sns/<AWS::Region>/<AWS::AccountId>/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
      // CDK's own, on the console's log bucket: the log-delivery ACL that S3 server access logs still need.
      'CloudFormation-Validate::W3045',
    ]);
    for (const ack of acks) {
      expect(ack.path.split('/').length, `${ack.id} is acknowledged on a whole stack`).toBeGreaterThan(2);
      expect(ack.reason.length, `${ack.id} on ${ack.path} needs a reason`).toBeGreaterThan(40);
    }
  });

  it('does report a finding when there is one (the check is not vacuous)', () => {
    const app = testApp();
    new Queue(new Stack(app, 'Unsafe'), 'PlainQueue');
    app.synth();
    expect(awsSolutionsFindings(app).map((f) => f.rule)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});
