import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, DEAD_LETTER_ENV, TABLES, type TableName } from '../../functions/contract';
import { OperatorDirectory } from '../../infra/constructs/operator-directory';
import { QueryApi } from '../../infra/constructs/query-api';
import { DEAD_LETTER_ACTIONS } from '../../infra/constructs/telemetry-function';
import { TelemetryTables } from '../../infra/constructs/telemetry-tables';
import { asList, flatten, testStack } from './support';

describe('QueryApi', () => {
  let stack: Stack;
  let api: QueryApi;
  let directory: OperatorDirectory;
  let template: Template;
  let tables: Record<TableName, ITable>;
  let deadLetterQueue: Queue;
  let ingestQueue: Queue;
  const ref = (value: unknown) => stack.resolve(value);

  beforeAll(() => {
    stack = testStack();
    directory = new OperatorDirectory(stack, 'Operators');
    tables = new TelemetryTables(stack, 'Tables').tables;
    deadLetterQueue = new Queue(stack, 'Dlq');
    ingestQueue = new Queue(stack, 'IngestQueue');
    api = new QueryApi(stack, 'Api', {
      tables,
      deadLetters: { deadLetterQueue, ingestQueue },
      authorizer: new HttpUserPoolAuthorizer('OperatorAuthorizer', directory.userPool, {
        userPoolClients: [directory.consoleClient],
      }),
      throttle: { rateLimit: 7, burstLimit: 11 },
    });
    template = Template.fromStack(stack);
  });

  it('creates one route per API_ROUTES entry, each behind the JWT authorizer', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', API_ROUTES.length);
    const [authorizerId] = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'));
    for (const route of API_ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
  });

  it('accepts only tokens of the operator directory issued to the console client', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(directory.consoleClient.userPoolClientId)],
        Issuer: Match.objectLike({
          'Fn::Join': Match.arrayWith([Match.arrayWith([ref(directory.userPool.userPoolId)])]),
        }),
      },
    });
  });

  it('routes every request to the one API function', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('throttles the default stage and writes JSON access logs to a log group with a retention', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 11 },
      AccessLogSettings: { DestinationArn: ref(api.accessLogGroup.logGroupArn), Format: Match.anyValue() },
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('lets the API function read every table it serves, but never write readings or quarantine', () => {
    const fn = api.handler.function;
    const variables =
      template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment
        .Variables;
    for (const spec of Object.values(TABLES)) expect(variables).toHaveProperty(spec.envVar);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const resourcesWith = (action: string) =>
      statements
        .filter((s) => asList(s.Action).includes(action))
        .flatMap((s) => asList(s.Resource).map(flatten));
    const tableArn = (name: TableName) => flatten(ref(tables[name].tableArn));
    const served: TableName[] = ['readings', 'quarantine', 'alarms', 'binEvents', 'rollups'];
    expect(resourcesWith('dynamodb:Query')).toEqual(expect.arrayContaining(served.map(tableArn)));
    expect(resourcesWith('dynamodb:GetItem').sort()).toEqual(
      [tableArn('alarms'), tableArn('devices'), tableArn('subscriptions')].sort(),
    );
    // rollups: ending a maintenance window early (the compliance report's completeness).
    expect(resourcesWith('dynamodb:UpdateItem').sort()).toEqual(
      [tableArn('alarms'), tableArn('devices'), tableArn('rollups')].sort(),
    );
    const writes = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].flatMap((a) =>
      resourcesWith(`dynamodb:${a}`),
    );
    expect(writes).not.toContain(tableArn('readings'));
    expect(writes).not.toContain(tableArn('quarantine'));
  });

  it('may list and redrive the dead-letter queue, and only send to the ingest queue', () => {
    const fn = api.handler.function;
    const variables =
      template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment
        .Variables;
    expect(variables).toMatchObject({
      [DEAD_LETTER_ENV.deadLetterQueueUrl]: ref(deadLetterQueue.queueUrl),
      [DEAD_LETTER_ENV.deadLetterQueueArn]: ref(deadLetterQueue.queueArn),
      [DEAD_LETTER_ENV.ingestQueueUrl]: ref(ingestQueue.queueUrl),
      [DEAD_LETTER_ENV.ingestQueueArn]: ref(ingestQueue.queueArn),
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const sqsStatements = statements
      .filter((s) => asList(s.Action).some((a) => a.startsWith('sqs:')))
      .map((s) => ({ actions: [...asList(s.Action)].sort(), resources: asList(s.Resource).map(flatten) }));
    expect(sqsStatements).toEqual(
      expect.arrayContaining([
        { actions: [...DEAD_LETTER_ACTIONS].sort(), resources: [flatten(ref(deadLetterQueue.queueArn))] },
        { actions: ['sqs:SendMessage'], resources: [flatten(ref(ingestQueue.queueArn))] },
      ]),
    );
    expect(sqsStatements).toHaveLength(2);
  });
});
