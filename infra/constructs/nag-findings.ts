import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Renders a resolved CloudFormation value the way cdk-nag names it in a finding (`Fn::Join` joined, `Ref` as
 * `<Name>`, `Fn::GetAtt` as `<Logical.Attr>`). Mirrors cdk-nag's internal `flattenCfnReference`; the AWS Solutions
 * test in test/infra fails if the two ever disagree.
 */
function flatten(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [separator, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(separator);
  }
  if (node['Fn::Sub']) return flatten(node['Fn::Sub']);
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (node['Fn::ImportValue']) return flatten(node['Fn::ImportValue']);
  if (node.Ref) return `<${flatten(node.Ref)}>`;
  return JSON.stringify(value);
}

/** The id under which cdk-nag reports (and accepts an acknowledgment of) a wildcard resource in an IAM policy. */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`;
}
