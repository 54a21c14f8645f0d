import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { projectPath } from '../../infra/constructs/project-paths';

const cdkJson = JSON.parse(readFileSync(projectPath('cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** A stand-in for the built console (index.html and one asset), so infra tests need no `npm run console:build`. */
export const CONSOLE_DIST_FIXTURE = projectPath('test/infra/fixtures/console-dist');

/**
 * An app configured like `cdk synth` configures it (the feature flags of cdk.json), except that no asset is bundled,
 * the built-in CloudFormation validation is off (both are slow and neither is what these tests look at) and the
 * console is the fixture bundle.
 */
export function testApp(options: { outdir?: string } = {}): App {
  return new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], consoleDistDir: CONSOLE_DIST_FIXTURE },
    builtinCloudFormationValidation: false,
    outdir: options.outdir,
  });
}

/** A bare stack in a fresh test app, for testing one construct on its own. */
export function testStack(id = 'Test'): Stack {
  return new Stack(testApp(), id);
}

/** One AWS Solutions finding, flattened for readable test failures. */
export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly resources: readonly string[];
}

/**
 * Runs the AWS Solutions pack over an already synthesized scope, the way the validation plugin registered in
 * infra/bin/app.ts runs during `cdk synth`, and returns every unacknowledged finding, errors and warnings alike.
 */
export function awsSolutionsFindings(scope: IConstruct): NagFinding[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
  return report.violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity ?? 'unknown',
    resources: v.violatingResources.map((r) => r.constructPath ?? `${r.templatePath}#${r.resourceLogicalId}`),
  }));
}

type Json = unknown;

/**
 * Renders CloudFormation intrinsics as text (`{"Ref":"AWS::Partition"}` → `${AWS::Partition}`, Fn::Join → the
 * joined parts, Fn::GetAtt → `${Logical.Attr}`, Fn::ImportValue → `${import:Name}`), so an ARN can be asserted as
 * one readable string.
 */
export function flatten(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    const o = value as Record<string, Json>;
    if ('Ref' in o) return `\${${flatten(o.Ref)}}`;
    if ('Fn::GetAtt' in o) return `\${${(o['Fn::GetAtt'] as Json[]).map(flatten).join('.')}}`;
    if ('Fn::ImportValue' in o) return `\${import:${flatten(o['Fn::ImportValue'])}}`;
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map(flatten).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** How an IoT ARN built with `Stack.formatArn` in an environment-agnostic stack reads once flattened. */
export const IOT_ARN_PREFIX = `arn:\${AWS::Partition}:iot:\${AWS::Region}:\${AWS::AccountId}:`;

/** A value that may be one item or a list, as IAM and IoT policy fields are. */
export function asList<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [value as T];
}
