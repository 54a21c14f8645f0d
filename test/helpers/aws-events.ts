import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { IngestEnvelope } from '../../functions/contract';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:pamir-ingest';

/** The SQS body the IoT rule writes: `SELECT encode(*, 'base64') AS payload, topic(), clientid(), timestamp()`. */
export function envelopeBody(
  topic: string,
  payload: Uint8Array,
  clientId: string | undefined,
  receivedAt: number,
) {
  const envelope: IngestEnvelope = { payload: Buffer.from(payload).toString('base64'), topic, receivedAt };
  if (clientId !== undefined) envelope.clientId = clientId;
  return JSON.stringify(envelope);
}

/** One SQS record with every field AWS Lambda's SQS event source sets. */
export function sqsRecord(
  body: string,
  options: { messageId?: string; receiveCount?: number; sentAt?: number } = {},
): SQSRecord {
  const messageId = options.messageId ?? randomUUID();
  const sentAt = options.sentAt ?? 1_764_324_000_123;
  return {
    messageId,
    receiptHandle: `AQEB${Buffer.from(messageId).toString('base64')}zQm2X6x9xkOGVpDb3Q==`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(sentAt),
      SenderId: 'AROAEXAMPLEROLEID12345:iot-rule-pamir',
      ApproximateFirstReceiveTimestamp: String(sentAt + 15),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Who an API event comes from: a user name and the Cognito groups of their token. */
export interface ApiCaller {
  sub?: string;
  username: string;
  email?: string;
  groups: string[];
}

/** The default caller of `apiEvent`: an administrator, so a test of a route's logic is not a test of its permissions. */
const ADMIN_CALLER: ApiCaller = { username: 'admin-test', groups: ['admin'] };

/**
 * The claims API Gateway's JWT authorizer hands the function for a Cognito access token: every claim a string, and
 * an array claim such as `cognito:groups` as one bracketed, space-separated string.
 */
function jwtClaims(caller: ApiCaller): Record<string, string> {
  const claims: Record<string, string> = {
    sub: caller.sub ?? `0f3c2a1e-${caller.username}`,
    'cognito:groups': `[${caller.groups.join(' ')}]`,
    iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example',
    client_id: '4h5example6client7id8',
    token_use: 'access',
    scope: 'openid email profile',
    auth_time: '1764323000',
    iat: '1764323000',
    exp: '1764326600',
    jti: 'b5c0d8e2-0000-4000-8000-000000000000',
    username: caller.username,
  };
  if (caller.email !== undefined) claims.email = caller.email;
  return claims;
}

/** An API Gateway HTTP API (payload format 2.0) event for a route key such as `GET /devices/{id}`. */
export function apiEvent(
  routeKey: string,
  options: {
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    caller?: ApiCaller;
  } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(options.pathParameters?.[name] ?? ''),
  );
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    headers: {
      accept: '*/*',
      authorization: 'Bearer test-token',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    queryStringParameters: options.query && Object.keys(options.query).length ? options.query : undefined,
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: jwtClaims(options.caller ?? ADMIN_CALLER), scopes: null },
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey,
      stage: '$default',
      time: '28/Nov/2025:10:00:00 +0000',
      timeEpoch: 1_764_324_000_000,
    },
    isBase64Encoded: false,
  };
}

/** A Lambda context as the Node.js runtime passes it. */
export function lambdaContext(functionName = 'pamir-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/11/28/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 20_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
