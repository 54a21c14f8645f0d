import 'aws-sdk-client-mock-vitest/extend';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type * as IotData from '@aws-sdk/client-iot-data-plane';
import type * as Sns from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, readServiceConfig } from '../../../functions/composition';
import { alarmEventTopic, CHANNEL_ENV, DEAD_LETTER_ENV, TABLES } from '../../../functions/contract';
import { PROJECT_ROOT, projectPath } from '../../../infra/constructs/project-paths';
import { FUNCTION_BUNDLING } from '../../../infra/constructs/telemetry-function';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../../infra/local/dynamo';
import { FUNCTIONS } from '../../../infra/wiring';
import { apiEvent, envelopeBody, lambdaContext, sqsEvent, sqsRecord } from '../../helpers/aws-events';
import { json, MINUTE, waterDevice, waterMetrics } from '../../helpers/telemetry';

/**
 * The production bundle includes the AWS SDK (`bundleAwsSDK: true`), so its SNSClient and IoTDataPlaneClient are
 * private copies that aws-sdk-client-mock cannot reach. The test bundle marks exactly these two client packages
 * external; everything else (DynamoDB SDK, middy, Powertools, zod, the service) is bundled as in production.
 */
const MOCKED_CLIENTS = ['@aws-sdk/client-sns', '@aws-sdk/client-iot-data-plane'];

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:pamir-alarms';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/pamir-ingest';
const IOT_ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com';

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** Builds the functions with esbuild's API and the CDK construct's bundling options (NodejsFunction's own flags). */
async function bundleFunctions(outdir: string) {
  await build({
    entryPoints: { ingest: projectPath(FUNCTIONS.ingest.entry), api: projectPath(FUNCTIONS.api.entry) },
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    mainFields: FUNCTION_BUNDLING.mainFields,
    banner: { js: FUNCTION_BUNDLING.banner },
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    external: MOCKED_CLIENTS,
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return { ingest: join(outdir, 'ingest.mjs'), api: join(outdir, 'api.mjs') };
}

describe('bundled cloud handlers (esbuild output) against dynalite, mocked SNS and IoT Data Plane', () => {
  const outlet = waterDevice('wq-bundle-outlet', {
    siteId: 'plant-bundle',
    siteName: 'Bundle Town water plant',
    township: 'Bundle Town',
  });
  let dynamo: LocalDynamo;
  let doc: DynamoDBDocumentClient;
  let bundleDir: string;
  let savedEnv: NodeJS.ProcessEnv;
  let ingest: Handler<SQSEvent, SQSBatchResponse>;
  let api: Handler<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2>;
  let sns: ReturnType<typeof mockClient>;
  let iot: ReturnType<typeof mockClient>;
  let SnsModule: typeof Sns;
  let IotModule: typeof IotData;

  beforeAll(async () => {
    // Under node_modules, so vitest leaves the bundle to Node's own loader (no transform) and the bundle's external
    // imports resolve to the project's packages.
    const cache = projectPath('node_modules/.cache');
    await mkdir(cache, { recursive: true });
    bundleDir = await mkdtemp(join(cache, 'pamir-bundled-handlers-'));
    const bundles = await bundleFunctions(bundleDir);

    // The client classes the bundle imports, resolved from the bundle's own location, are the ones to patch.
    const requireFromBundle = createRequire(bundles.ingest);
    SnsModule = requireFromBundle('@aws-sdk/client-sns');
    IotModule = requireFromBundle('@aws-sdk/client-iot-data-plane');
    sns = mockClient(SnsModule.SNSClient);
    iot = mockClient(IotModule.IoTDataPlaneClient);
    let n = 0;
    sns.on(SnsModule.PublishCommand).callsFake(async () => ({ MessageId: `sns-${++n}` }));
    iot.on(IotModule.PublishCommand).resolves({});

    dynamo = await startLocalDynamo({ prefix: 'bundle-' });
    doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS }));
    const seed = createService(readServiceConfig(dynamo.tableEnv), doc, {
      notifier: { send: async () => ({ recipients: 0, messageIds: [] }) },
      live: { alarmChanged: async () => undefined },
      subscriptionChannel: { route: async () => undefined, unroute: async () => undefined },
    });
    await seed.registry.putMany([outlet]);

    // What the deployed function gets: table names, topic, IoT endpoint, region and role credentials; DynamoDB is
    // redirected to dynalite with the SDK's service endpoint variable, SNS to a closed local port so a call the mock
    // missed fails here instead of reaching AWS.
    savedEnv = { ...process.env };
    Object.assign(process.env, {
      ...dynamo.tableEnv,
      [CHANNEL_ENV.alarmTopicArn]: TOPIC_ARN,
      [CHANNEL_ENV.iotDataEndpoint]: IOT_ENDPOINT,
      [DEAD_LETTER_ENV.deadLetterQueueUrl]: `${QUEUE_URL}-dlq`,
      [DEAD_LETTER_ENV.deadLetterQueueArn]: 'arn:aws:sqs:us-east-1:123456789012:pamir-ingest-dlq',
      [DEAD_LETTER_ENV.ingestQueueUrl]: QUEUE_URL,
      [DEAD_LETTER_ENV.ingestQueueArn]: 'arn:aws:sqs:us-east-1:123456789012:pamir-ingest',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
      AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
      AWS_SESSION_TOKEN: 'bundle-test-session',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9',
      POWERTOOLS_SERVICE_NAME: 'pamir-telemetry',
    });
    ingest = (await import(pathToFileURL(bundles.ingest).href)).handler;
    api = (await import(pathToFileURL(bundles.api).href)).handler;
  }, 60_000);

  afterAll(async () => {
    process.env = savedEnv;
    sns?.restore();
    iot?.restore();
    doc?.destroy();
    await dynamo?.stop();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  it('ingest stores a chlorine loss, raises the alarm and publishes one SMS per language with filter attributes', async () => {
    const now = Date.now();
    const chlorine = [0.62, 0.12, 0.1];
    const records = chlorine.map((free_chlorine_mg_l, i) => {
      const ts = now - (chlorine.length - i) * MINUTE;
      const payload = json({ v: 1, ts, seq: i, m: { ...waterMetrics(i), free_chlorine_mg_l } });
      return sqsRecord(envelopeBody(`dt/water/${outlet.id}`, payload, outlet.id, ts + 500));
    });

    const result = await ingest(sqsEvent(records), lambdaContext('pamir-ingest'));
    expect(result).toEqual({ batchItemFailures: [] });

    const stored = await doc.send(
      new QueryCommand({
        TableName: dynamo.tableNames.readings,
        KeyConditionExpression: 'deviceId = :d',
        ExpressionAttributeValues: { ':d': outlet.id },
      }),
    );
    expect(stored.Items?.length).toBe(3);

    const index = await doc.send(
      new GetCommand({ TableName: dynamo.tableNames.alarms, Key: { alarmId: `dev#${outlet.id}` } }),
    );
    expect(index.Item).toBeDefined();
    const open = await doc.send(
      new QueryCommand({
        TableName: dynamo.tableNames.alarms,
        IndexName: TABLES.alarms.globalIndexes[0].name,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'open' },
      }),
    );
    expect(open.Items).toHaveLength(1);
    const alarm = open.Items?.[0] as Record<string, unknown>;
    expect(alarm).toMatchObject({
      deviceId: outlet.id,
      condition: 'limit:free_chlorine_mg_l:min',
      severity: 'critical',
    });

    const attr = (StringValue: string) => ({ DataType: 'String', StringValue });
    expect(sns).toHaveReceivedCommandTimes(SnsModule.PublishCommand, 2);
    for (const lang of ['zh', 'en'])
      expect(sns).toHaveReceivedCommandWith(SnsModule.PublishCommand, {
        TopicArn: TOPIC_ARN,
        MessageAttributes: expect.objectContaining({
          audience: attr('operators'),
          severity: attr('critical'),
          siteId: attr(outlet.siteId),
          township: attr(outlet.township),
          lang: attr(lang),
          kind: attr('raised'),
          deviceId: attr(outlet.id),
          alarmId: attr(String(alarm.alarmId)),
          'AWS.SNS.SMS.SMSType': attr('Transactional'),
        }),
      });
    expect(iot).toHaveReceivedCommandWith(IotModule.PublishCommand, {
      topic: alarmEventTopic(outlet.siteId),
    });
  });

  it('the API bundle lists the open alarm for a caller with JWT claims', async () => {
    const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
      ...apiEvent('GET /alarms'),
      requestContext: {
        ...apiEvent('GET /alarms').requestContext,
        authorizer: {
          principalId: '',
          integrationLatency: 0,
          jwt: {
            claims: {
              sub: '4f2c1a9e-0d7b-4c1e-9a55-6b7c8d9e0f12',
              'cognito:username': 'operator-a',
              'cognito:groups': '[operator]',
              token_use: 'access',
            },
            scopes: [],
          },
        },
      },
    };
    const response = await api(event, lambdaContext('pamir-api'));
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(String(response.body)) as { items: { deviceId: string; condition: string }[] };
    expect(body.items).toEqual([
      expect.objectContaining({ deviceId: outlet.id, condition: 'limit:free_chlorine_mg_l:min' }),
    ]);
  });
});
