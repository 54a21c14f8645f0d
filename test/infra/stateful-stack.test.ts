import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName, type TableSpec } from '../../functions/contract';
import type { StatefulStack } from '../../infra/stacks/stateful-stack';
import { addTelemetryStacks, stackNames } from '../../infra/stacks/telemetry-app';
import { flatten, testApp } from './support';

const tableSpecs = Object.entries(TABLES) as [TableName, TableSpec][];

describe('StatefulStack', () => {
  let stack: StatefulStack;
  let template: Template;

  beforeAll(() => {
    stack = addTelemetryStacks(testApp()).stateful;
    template = Template.fromStack(stack);
  });

  it('is named for the service and the stage, and protected against deletion', () => {
    expect(stack.stackName).toBe(stackNames('dev').stateful);
    expect(stack.stackName).toBe('PamirTelemetry-dev-Stateful');
    expect(stack.terminationProtection).toBe(true);
  });

  it('creates one table per TABLES entry and exposes each under its name', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', tableSpecs.length);
    expect(Object.keys(stack.tables).sort()).toEqual(Object.keys(TABLES).sort());
  });

  it.each(tableSpecs)(
    'table %s has the declared keys, on-demand billing, PITR, KMS encryption and is retained',
    (name, spec) => {
      const keySchema = [{ AttributeName: spec.partitionKey.name, KeyType: 'HASH' }];
      if (spec.sortKey) keySchema.push({ AttributeName: spec.sortKey.name, KeyType: 'RANGE' });
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          TableName: Match.absent(),
          KeySchema: keySchema,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        }),
      });
      expect(stack.resolve(stack.tables[name].tableName)).toEqual({ Ref: expect.stringContaining(name) });
    },
  );

  it.each(tableSpecs.filter(([, spec]) => spec.ttlAttribute))(
    'table %s expires items by its TTL attribute',
    (_, spec) => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: Match.arrayWith([{ AttributeName: spec.partitionKey.name, KeyType: 'HASH' }]),
        TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      });
    },
  );

  it.each(tableSpecs.filter(([, spec]) => spec.globalIndexes?.length))(
    'table %s has its global secondary indexes',
    (_, spec) => {
      for (const index of spec.globalIndexes ?? []) {
        const keySchema = [{ AttributeName: index.partitionKey.name, KeyType: 'HASH' }];
        if (index.sortKey) keySchema.push({ AttributeName: index.sortKey.name, KeyType: 'RANGE' });
        template.hasResourceProperties('AWS::DynamoDB::Table', {
          GlobalSecondaryIndexes: Match.arrayWith([
            Match.objectLike({
              IndexName: index.name,
              KeySchema: keySchema,
              Projection: { ProjectionType: 'ALL' },
            }),
          ]),
        });
      }
    },
  );

  it('keeps the alarm topic (and its SMS subscriptions), encrypted and reachable only over TLS', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResource('AWS::SNS::Topic', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const [topic] = Object.values(template.findResources('AWS::SNS::Topic'));
    expect(flatten(topic?.Properties.KmsMasterKeyId)).toBe(
      `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:alias/aws/sns`,
    );
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps operators in a user pool nobody can sign up to, with strong passwords, TOTP MFA and threat protection', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UserPoolTier: 'PLUS',
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
        DeletionProtection: 'ACTIVE',
        Policies: {
          PasswordPolicy: Match.objectLike({
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          }),
        },
      }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
      PreventUserExistenceErrors: 'ENABLED',
    });
  });
});
