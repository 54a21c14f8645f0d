import { Stack } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { OWN_DEVICE_ID, TELEMETRY_RULES, type TopicAction, topicPermissions } from '../../functions/contract';
import { stageName, telemetryRuleName } from './deployment-settings';

/**
 * The IoT policy variable holding the connected thing's name. Written as a plain string: CloudFormation passes it
 * through unchanged (no Fn::Sub is involved) and IoT Core substitutes it when it evaluates the policy.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, not a template literal placeholder.
export const THING_NAME_VARIABLE = '${iot:Connection.Thing.ThingName}';

/** The IoT action of each contract action, and the ARN resource type it is granted on. */
const IOT_ACTIONS: Record<TopicAction, { action: string; resource: 'topic' | 'topicfilter' }> = {
  publish: { action: 'iot:Publish', resource: 'topic' },
  subscribe: { action: 'iot:Subscribe', resource: 'topicfilter' },
  receive: { action: 'iot:Receive', resource: 'topic' },
};

export interface DevicePolicyProps {
  /**
   * Name of the IoT policy, which device registration attaches to each certificate.
   * @default `PamirTelemetry-<stage>-device`
   */
  readonly policyName?: string;
}

/**
 * The IoT policy every device certificate carries, rendered from the contract's device permissions (the local broker
 * enforces the same ones). A device connects only under its own thing name, publishes only to its own telemetry
 * topics (directly or through Basic Ingest) and receives only its own commands. Every grant is keyed by the
 * `${iot:Connection.Thing.ThingName}` policy variable, so one policy serves the whole fleet. Basic Ingest topics name
 * the stage's rules (`$aws/rules/<stage>_<ruleName>/…`), the rules this stage deploys.
 */
export class DevicePolicy extends Construct {
  public readonly policy: CfnPolicy;
  /** The policy's name, to attach it to device certificates. */
  public readonly policyName: string;

  constructor(scope: Construct, id: string, props: DevicePolicyProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const iotArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'iot', resource, resourceName });
    // The contract names the rules without a stage; in the cloud each stage's rules carry its prefix.
    const staged = (topic: string) =>
      TELEMETRY_RULES.reduce(
        (t, rule) =>
          t.replace(`$aws/rules/${rule.ruleName}/`, `$aws/rules/${telemetryRuleName(this, rule.ruleName)}/`),
        topic,
      );
    const devicePermissions = topicPermissions('cloud')
      .filter((p) => p.who === 'device')
      .map((p) => ({ ...p, topic: staged(p.topic) }));
    const grants = (['publish', 'subscribe', 'receive'] as const).map((action) => ({
      Effect: 'Allow',
      Action: IOT_ACTIONS[action].action,
      Resource: devicePermissions
        .filter((p) => p.action === action)
        .map((p) =>
          iotArn(IOT_ACTIONS[action].resource, p.topic.replaceAll(OWN_DEVICE_ID, THING_NAME_VARIABLE)),
        ),
    }));

    this.policy = new CfnPolicy(this, 'Resource', {
      policyName: props.policyName ?? stageName(this, 'device'),
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: iotArn('client', THING_NAME_VARIABLE),
            // The certificate must be attached to the thing it claims to be, not merely present in the registry.
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          },
          ...grants,
        ],
      },
    });
    this.policyName = this.policy.ref;
  }
}
