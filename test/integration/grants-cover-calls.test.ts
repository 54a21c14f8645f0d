import '../helpers/quiet-logs';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamodb/subscription-store';
import { IotLiveEvents } from '../../functions/adapters/iot-live-events';
import { SnsNotifier } from '../../functions/adapters/sns-notifier';
import { SnsSubscriptionChannel } from '../../functions/adapters/sns-subscription-channel';
import { SqsDeadLetters } from '../../functions/adapters/sqs-dead-letters';
import { SqsIngestRequeue } from '../../functions/adapters/sqs-requeue';
import {
  apiDeps,
  createService,
  ingestDeps,
  readServiceConfig,
  rollupJobDeps,
  type Service,
  sweepDeps,
} from '../../functions/composition';
import { API_ROUTES, TABLES, type TableName, type TableSpec } from '../../functions/contract';
import type { Device } from '../../functions/core/registry';
import { buildAlarmSweepHandler } from '../../functions/handlers/alarm-sweep-handler';
import { buildApiHandler } from '../../functions/handlers/api-handler';
import { buildIngestHandler } from '../../functions/handlers/ingest-handler';
import { buildRollupsHandler } from '../../functions/handlers/rollups-handler';
import type { Clock } from '../../functions/ports/clock';
import { REGISTRY_SNAPSHOT_MS, type SweepResult } from '../../functions/use-cases/alarm-sweep';
import type { RollupJobResult } from '../../functions/use-cases/rollup-job';
import { INDEX_ACTIONS, TABLE_GRANTS, type TableAction } from '../../infra/constructs/table-grants';
import { DEAD_LETTER_ACTIONS, SUBSCRIBE_ACTIONS } from '../../infra/constructs/telemetry-function';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { FUNCTIONS, type FunctionName } from '../../infra/wiring';
import { apiEvent, envelopeBody, lambdaContext, sqsEvent, sqsRecord } from '../helpers/aws-events';
import { binDevice, DAY, HOUR, json, MINUTE, waterDevice, waterMetrics } from '../helpers/telemetry';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:pamir-alarms';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/pamir-ingest';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:pamir-ingest';
const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/**
 * The SNS and SQS actions each function's role holds, as infra/stacks/stateless-stack.ts, ingest-pipeline.ts and
 * query-api.ts wire them: `useAlarmTopic` (publish for ingest and the sweep, `SUBSCRIBE_ACTIONS` for the API),
 * `useRequeue` (ingest) and `useDeadLetterQueue` (API). IoT Data Plane: every function has `useLiveEvents`.
 */
const SERVICE_GRANTS: Record<FunctionName, readonly string[]> = {
  ingest: ['sns:Publish', 'sqs:SendMessage', 'iot:Publish'],
  api: [...SUBSCRIBE_ACTIONS, ...DEAD_LETTER_ACTIONS, 'sqs:SendMessage', 'iot:Publish'],
  alarmSweep: ['sns:Publish', 'iot:Publish'],
  // The roll-up job raises no alarms: no topic, no live events (composition-cloud.ts cloudRollupJobDeps).
  rollups: [],
};

/**
 * Granted DynamoDB actions no workload below reaches, each with the reason it stays granted. Empty: every granted
 * action is sent by some workload. An entry here is a decision, and the test fails once the action is sent after all.
 */
const UNEXERCISED: readonly { fn: FunctionName; table: TableName; action: TableAction; reason: string }[] =
  [];

/** Granted SNS/SQS/IoT actions no workload reaches, with the reason; the test fails once one is sent after all. */
const UNEXERCISED_SERVICE: readonly { fn: FunctionName; action: string; reason: string }[] = [];

class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

/** One DynamoDB request as IAM sees it: the action, the table (by contract name) and the index it names. */
interface TableCall {
  action: string;
  table: string;
  index?: string;
}

/** The SDK's command name (`QueryCommand`, `BatchWriteItemCommand`) as its IAM action (`Query`, `BatchWriteItem`). */
const actionOf = (commandName: unknown) => String(commandName).replace(/Command$/, '');

/** SQS authorizes a batch request by the action of its single form (SendMessageBatch → sqs:SendMessage). */
const iamAction = (service: 'sns' | 'sqs' | 'iot', command: object) => {
  const name = command.constructor.name.replace(/Command$/, '');
  return `${service}:${service === 'sqs' ? name.replace(/Batch$/, '') : name}`;
};

/** One function as deployed: its own document client (recorded), SNS, SQS and IoT clients (mocked), its handler. */
interface DeployedFunction {
  doc: DynamoDBDocumentClient;
  service: Service;
  tableCalls: TableCall[];
  sqsClient: SQSClient;
  sns: AwsClientStub<SNSClient>;
  sqs: AwsClientStub<SQSClient>;
  iot: AwsClientStub<IoTDataPlaneClient>;
}

describe('the IAM grants of every function cover the calls its code sends (dynalite, mocked SNS/SQS/IoT)', () => {
  const clock = new ManualClock(START);
  const outlet = waterDevice('wq-g1', { siteId: 'plant-g', township: 'Grant Town' });
  const tap = waterDevice('wq-g2', { siteId: 'plant-g', township: 'Grant Town' });
  const silent = waterDevice('wq-g3', { siteId: 'plant-g', township: 'Grant Town' });
  const bin = binDevice('bin-g1', { intervalS: 900, siteId: 'market-g', township: 'Grant Town' });
  const devices: Device[] = [outlet, tap, silent, bin];
  let dynamo: LocalDynamo;
  let tableOf: Map<string, TableName>;
  const fns = {} as Record<FunctionName, DeployedFunction>;
  /** The fake dead-letter queue behind the API's SQS client: visible messages, and those a receive holds. */
  const dlq = { visible: new Map<string, Message>(), held: new Map<string, Message>() };
  let subscribeRefused = false;

  function deploy(fn: FunctionName): DeployedFunction {
    const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
    const tableCalls: TableCall[] = [];
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as {
          TableName?: string;
          IndexName?: string;
          RequestItems?: Record<string, unknown>;
        };
        const action = actionOf(context.commandName);
        for (const name of [
          ...(input.TableName ? [input.TableName] : []),
          ...Object.keys(input.RequestItems ?? {}),
        ])
          tableCalls.push({
            action,
            table: tableOf.get(name) ?? `unknown table ${name}`,
            ...(input.IndexName ? { index: input.IndexName } : {}),
          });
        return next(args);
      },
      { step: 'initialize', name: 'recordTableCalls' },
    );
    const snsClient = new SNSClient({ region: 'us-east-1', credentials: LOCAL_AWS.credentials });
    const sqsClient = new SQSClient({ region: 'us-east-1', credentials: LOCAL_AWS.credentials });
    const iotClient = new IoTDataPlaneClient({
      region: 'us-east-1',
      credentials: LOCAL_AWS.credentials,
      endpoint: 'https://a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com',
    });
    const sns = mockClient(snsClient);
    sns.onAnyCommand().resolves({});
    let n = 0;
    sns.on(PublishCommand).callsFake(async () => ({ MessageId: `${fn}-sns-${++n}` }));
    sns.on(SubscribeCommand).callsFake(async (input: { Endpoint?: string }) => {
      if (subscribeRefused)
        throw new InvalidParameterException({
          message:
            'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
          $metadata: { httpStatusCode: 400 },
        });
      return { SubscriptionArn: `${TOPIC_ARN}:${input.Endpoint}-${++n}` };
    });
    sns.on(ListSubscriptionsByTopicCommand).callsFake(async () => ({
      Subscriptions: [
        {
          SubscriptionArn: `${TOPIC_ARN}:existing`,
          Protocol: 'sms',
          Endpoint: '+8613900000003',
          TopicArn: TOPIC_ARN,
        },
      ],
    }));
    const sqs = mockClient(sqsClient);
    sqs.onAnyCommand().resolves({});
    sqs.on(GetQueueAttributesCommand).callsFake(async () => ({
      Attributes: { ApproximateNumberOfMessages: String(dlq.visible.size + dlq.held.size) },
    }));
    sqs.on(ReceiveMessageCommand).callsFake(async (input: { MaxNumberOfMessages?: number }) => {
      const messages = [...dlq.visible.values()].slice(0, input.MaxNumberOfMessages ?? 1);
      for (const m of messages) {
        dlq.visible.delete(m.ReceiptHandle as string);
        dlq.held.set(m.ReceiptHandle as string, m);
      }
      return { Messages: messages };
    });
    sqs
      .on(ChangeMessageVisibilityBatchCommand)
      .callsFake(async (input: { Entries?: { ReceiptHandle?: string }[] }) => {
        for (const e of input.Entries ?? []) {
          const m = dlq.held.get(e.ReceiptHandle as string);
          if (m) {
            dlq.held.delete(e.ReceiptHandle as string);
            dlq.visible.set(e.ReceiptHandle as string, m);
          }
        }
        return { Successful: [] };
      });
    sqs.on(DeleteMessageCommand).callsFake(async (input: { ReceiptHandle?: string }) => {
      dlq.held.delete(input.ReceiptHandle as string);
      return {};
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'move-task-1' });
    const iot = mockClient(iotClient);
    iot.onAnyCommand().resolves({});

    // Wired as functions/composition-cloud.ts cloudService wires the deployed function, with the test's clock.
    const config = readServiceConfig(dynamo.tableEnv);
    const service = createService(
      config,
      doc,
      {
        notifier: new SnsNotifier(
          snsClient,
          TOPIC_ARN,
          new DynamoSubscriptionStore(doc, config.SUBSCRIPTIONS_TABLE),
        ),
        subscriptionChannel: new SnsSubscriptionChannel(snsClient, TOPIC_ARN),
        live: new IotLiveEvents(iotClient),
      },
      { clock },
    );
    return { doc, service, tableCalls, sqsClient, sns, sqs, iot };
  }

  let ingest: ReturnType<typeof buildIngestHandler>;
  let api: ReturnType<typeof buildApiHandler>;
  let sweep: ReturnType<typeof buildAlarmSweepHandler>;
  let rollups: ReturnType<typeof buildRollupsHandler>;

  beforeAll(async () => {
    dynamo = await startLocalDynamo({ prefix: 'grants-' });
    tableOf = new Map(Object.entries(dynamo.tableNames).map(([key, name]) => [name, key as TableName]));
    for (const fn of FUNCTION_NAMES) fns[fn] = deploy(fn);
    probeService();
    await probe.registry.putMany([...devices, dev4, backfilled]);

    const ingestFn = fns.ingest;
    ingest = buildIngestHandler(
      ingestDeps(ingestFn.service, {
        requeue: new SqsIngestRequeue(ingestFn.sqsClient, QUEUE_URL),
      }),
    );
    api = buildApiHandler(
      apiDeps(
        fns.api.service,
        new SqsDeadLetters(fns.api.sqsClient, {
          deadLetterQueueUrl: `${QUEUE_URL}-dlq`,
          deadLetterQueueArn: `${QUEUE_ARN}-dlq`,
          sourceQueueUrl: QUEUE_URL,
          sourceQueueArn: QUEUE_ARN,
        }),
      ),
    );
    sweep = buildAlarmSweepHandler(sweepDeps(fns.alarmSweep.service));
    rollups = buildRollupsHandler(rollupJobDeps(fns.rollups.service));
  }, 30_000);

  afterAll(async () => {
    for (const fn of Object.values(fns)) {
      fn.sns.restore();
      fn.sqs.restore();
      fn.iot.restore();
      fn.doc.destroy();
    }
    probeDoc?.destroy();
    await dynamo?.stop();
  });

  /** Reads and seeds without recording: what a test looks at is no function's call. */
  let probe: Service;
  let probeDoc: DynamoDBDocumentClient;
  const probeService = () => {
    probeDoc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
    probe = createService(readServiceConfig(dynamo.tableEnv), probeDoc, {
      notifier: { send: async () => ({ recipients: 0, messageIds: [] }) },
      live: { alarmChanged: async () => undefined },
      subscriptionChannel: { route: async () => undefined, unroute: async () => undefined },
    });
  };

  const openAlarm = async (deviceId: string) =>
    (await probe.alarms.list({ status: 'open', deviceId, limit: 10 })).items[0];

  const waterRecord = (device: Device, ts: number, m: Record<string, number> = waterMetrics(ts / MINUTE)) =>
    sqsRecord(
      envelopeBody(`dt/water/${device.id}`, json({ v: 1, ts, seq: ts / MINUTE, m }), device.id, ts + 500),
    );

  async function deliver(
    records: ReturnType<typeof sqsRecord>[],
    context: Context = lambdaContext('ingest'),
  ) {
    return ingest(sqsEvent(records), context);
  }

  /** A chlorine loss at a plant outlet, one message a minute from `from`: a critical alarm for operators. */
  async function chlorineLoss(device: Device, from: number) {
    for (const [i, chlorine] of [0.6, 0.1, 0.1, 0.08].entries()) {
      clock.t = from + i * MINUTE + 1000;
      const ts = from + i * MINUTE;
      expect(
        await deliver([waterRecord(device, ts, { ...waterMetrics(i), free_chlorine_mg_l: chlorine })]),
      ).toEqual({ batchItemFailures: [] });
    }
    const alarm = await openAlarm(device.id);
    expect(alarm).toMatchObject({ severity: 'critical', state: 'active_unack' });
    return alarm?.alarmId as string;
  }

  const dev4 = waterDevice('wq-g4', { siteId: 'plant-g', township: 'Grant Town' });
  const backfilled = waterDevice('wq-g5', { siteId: 'plant-h', township: 'Grant Town' });
  const alarmIds = {} as Record<'unacked' | 'cleared' | 'shelved', string>;

  it('ingest: samples of several devices, alarms with their SMS, a clear, a quarantined message, a bin collection, a deferred backfill', async () => {
    // Several devices in one batch: the open-alarm indexes are read together, heartbeats written together.
    clock.t = START + 1000;
    const first = [outlet, tap, silent, dev4].flatMap((d) =>
      [2, 1, 0].map((k) => waterRecord(d, START - k * MINUTE)),
    );
    expect(await deliver(first)).toEqual({ batchItemFailures: [] });

    alarmIds.unacked = await chlorineLoss(tap, START + MINUTE);
    alarmIds.shelved = await chlorineLoss(dev4, START + MINUTE);
    alarmIds.cleared = await chlorineLoss(outlet, START + MINUTE);
    expect(fns.ingest.sns.commandCalls(PublishCommand).length).toBeGreaterThan(0);

    // Chlorine back: the outlet's alarm returns to normal.
    for (let i = 5; i < 9; i++) {
      clock.t = START + i * MINUTE + 1000;
      expect(await deliver([waterRecord(outlet, START + i * MINUTE)])).toEqual({ batchItemFailures: [] });
    }
    expect(await probe.alarms.head(alarmIds.cleared)).toMatchObject({ state: 'cleared_unack' });

    // Not JSON: quarantined, not lost.
    const bad = sqsRecord(envelopeBody(`dt/water/${outlet.id}`, Buffer.from('{"v":1,'), outlet.id, clock.t));
    expect(await deliver([bad])).toEqual({ batchItemFailures: [] });

    // A bin filling up, then emptied: one collection event.
    const Q = 15 * MINUTE;
    const binFrom = START - 4 * HOUR;
    const fills = (from: number, values: number[]) =>
      sqsRecord(
        envelopeBody(
          `dt/bin/${bin.id}`,
          json({
            v: 1,
            samples: values.map((f, k) => ({
              ts: binFrom + (from + k) * Q,
              seq: from + k,
              m: { fill_pct: f, temperature_c: 4, tilt: false },
            })),
          }),
          bin.id,
          clock.t,
        ),
      );
    expect(await deliver([fills(0, [40, 48, 55, 61, 70, 77, 85])])).toEqual({ batchItemFailures: [] });
    expect(await deliver([fills(7, [5, 7])])).toEqual({ batchItemFailures: [] });
    expect(await probe.binEvents.listForBin(bin.id, { from: binFrom, to: START, limit: 10 })).toHaveLength(1);

    // A backfill larger than one chunk with little time left: the rest is sent back to the queue.
    const backfillFrom = START - 2 * DAY;
    const backfill = Array.from({ length: 21 }, (_, b) =>
      sqsRecord(
        envelopeBody(
          `dt/water/${backfilled.id}`,
          json({
            v: 1,
            samples: Array.from({ length: 100 }, (_, k) => {
              const ts = backfillFrom + (b * 100 + k) * MINUTE;
              return { ts, seq: b * 100 + k, m: waterMetrics(k) };
            }),
          }),
          backfilled.id,
          clock.t,
        ),
      ),
    );
    const hurried = { ...lambdaContext('ingest'), getRemainingTimeInMillis: () => 5_000 };
    expect(await deliver(backfill, hurried)).toEqual({ batchItemFailures: [] });
    expect(fns.ingest.sqs.calls().length).toBe(1);
  }, 60_000);

  it('rollups: the scheduled run rolls up the hours ingest marked; a recompute request covers every device', async () => {
    clock.t = START + 11 * MINUTE;
    const scheduled = (await rollups({} as never, lambdaContext('rollups'))) as RollupJobResult;
    expect(scheduled.hoursWritten).toBeGreaterThan(30);
    expect(scheduled.daysWritten).toBeGreaterThan(0);
    const recompute = (await rollups(
      { recompute: { from: START - 3 * HOUR, to: START } } as never,
      lambdaContext('rollups'),
    )) as RollupJobResult;
    // Recomputed from the same readings: nothing changed, nothing written.
    expect(recompute).toMatchObject({ hoursWritten: 0, daysWritten: 0, complete: true });
    expect(recompute.hoursComputed).toBeGreaterThan(0);
  });

  it('api: every route of API_ROUTES, as an administrator', async () => {
    clock.t = START + 12 * MINUTE;
    const answered = new Map<string, number[]>();
    async function call(
      routeKey: string,
      pathParameters: Record<string, string> = {},
      body?: unknown,
      query?: Record<string, string>,
    ) {
      const event = apiEvent(routeKey, { pathParameters, ...(query ? { query } : {}) });
      if (body !== undefined) event.body = JSON.stringify(body);
      const res = await api(event, lambdaContext('api'));
      answered.set(routeKey, [...(answered.get(routeKey) ?? []), res.statusCode ?? 0]);
      return JSON.parse(res.body ?? 'null') as Record<string, unknown>;
    }

    await call('GET /devices');
    await call('GET /devices/{id}', { id: outlet.id });
    await call('GET /devices/{id}/readings', { id: outlet.id });
    await call('GET /devices/{id}/latest', { id: outlet.id });
    // Two days of minute samples in at most 40 points: two-hour buckets from the hourly roll-ups (the job ran).
    const series = await call('GET /devices/{id}/series', { id: backfilled.id }, undefined, {
      metric: 'free_chlorine_mg_l',
      from: String(START - 2 * DAY),
      to: String(START),
      points: '40',
    });
    expect(series).toMatchObject({ resolution: 'bucket', bucketMs: 2 * HOUR });
    expect(series.source).toContain('hour');
    await call('GET /quarantine');
    await call('GET /alarms');
    await call('GET /alarms/{id}', { id: alarmIds.cleared });
    await call(
      'POST /alarms/{id}/ack',
      { id: alarmIds.cleared },
      { by: 'admin-test', comment: 'chlorinator refilled' },
    );
    await call(
      'POST /alarms/{id}/shelve',
      { id: alarmIds.shelved },
      { until: START + 30 * MINUTE, reason: 'dosing pump swapped', by: 'admin-test' },
    );
    await call(
      'POST /devices/{id}/maintenance',
      { id: bin.id },
      { on: true, until: START + HOUR, reason: 'new sensor' },
    );
    await call('POST /devices/{id}/maintenance', { id: bin.id }, { on: false });
    await call(
      'POST /devices/{id}/outages',
      { id: outlet.id },
      { from: START - 2 * HOUR, to: START - HOUR, reason: 'power cut', by: 'admin-test' },
    );
    await call('GET /devices/{id}/windows', { id: outlet.id });
    await call('GET /reports/compliance', {}, undefined, {
      from: new Date(START - DAY).toISOString(),
      to: new Date(START + HOUR).toISOString(),
    });

    // One phone in two scopes (one SNS subscription, its policy set in place); a phone SNS already has with another
    // policy (found by listing the topic's subscriptions); a change of scope; a removal of a phone's last scope.
    const operators = await call(
      'POST /subscriptions',
      {},
      { phone: '+8613900000001', audience: 'operators', siteIds: ['plant-g'], lang: 'en' },
    );
    await call(
      'POST /subscriptions',
      {},
      { phone: '+8613900000001', audience: 'supervisors', townships: ['Grant Town'] },
    );
    subscribeRefused = true;
    const known = await call('POST /subscriptions', {}, { phone: '+8613900000003', audience: 'sanitation' });
    subscribeRefused = false;
    await call('GET /subscriptions');
    await call(
      'PATCH /subscriptions/{id}',
      { id: String(operators.subscriptionId) },
      { minSeverity: 'critical' },
    );
    await call('DELETE /subscriptions/{id}', { id: String(known.subscriptionId) });
    await call('GET /subscriptions/audit');

    await call('GET /me');
    await call('GET /overview');
    await call('GET /bins');
    await call('GET /bins/collections', {}, undefined, { from: new Date(START - DAY).toISOString() });
    await call('GET /bins/{id}', { id: bin.id });

    const deadLetter = (id: string): Message => ({
      MessageId: id,
      ReceiptHandle: `rh-${id}`,
      Body: envelopeBody(
        `dt/water/${outlet.id}`,
        json({ v: 1, ts: START, seq: 1, m: waterMetrics(1) }),
        outlet.id,
        START,
      ),
      Attributes: { SentTimestamp: String(START), ApproximateReceiveCount: '5' },
    });
    for (const m of [deadLetter('dl-1'), deadLetter('dl-2')]) dlq.visible.set(m.ReceiptHandle as string, m);
    const listed = await call('GET /dead-letters');
    expect(listed.total).toBe(2);
    expect(await call('POST /dead-letters/redrive', {}, { ids: ['dl-1'] })).toMatchObject({ moved: 1 });
    expect(await call('POST /dead-letters/redrive', {}, { all: true })).toMatchObject({ moved: 1 });

    const routeKeys = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    const failed = [...answered].filter(([, statuses]) => statuses.some((s) => s >= 300));
    expect(failed).toEqual([]);
    expect([...answered.keys()].sort()).toEqual([...routeKeys].sort());
    expect(await probe.alarms.head(alarmIds.shelved)).toMatchObject({ shelvedUntil: START + 30 * MINUTE });
  });

  it('alarm sweep: a full pass (reminder, shelve expiry, offline, pending evaluation) and a stale pass', async () => {
    clock.t = START + 40 * MINUTE;
    await probe.alarms.addPendingEvaluation(
      tap.id,
      { fromTs: START, toTs: START + 4 * MINUTE },
      clock.t - MINUTE,
      'Error: throttled',
    );
    const full = (await sweep({} as never, lambdaContext('alarm-sweep'))) as SweepResult;
    expect(full).toMatchObject({ reminders: 1, unshelved: 1, reevaluated: 1 });
    expect(full.offlineRaised).toBeGreaterThan(0);

    clock.t = START + 40 * MINUTE + REGISTRY_SNAPSHOT_MS / 2;
    await probe.alarms.addPendingEvaluation(
      outlet.id,
      { fromTs: START, toTs: START + 8 * MINUTE },
      clock.t - MINUTE,
      'Error: throttled',
    );
    const stale = (await sweep({} as never, lambdaContext('alarm-sweep'))) as SweepResult;
    expect(stale).toMatchObject({ reevaluated: 1 });
  });

  it('sends DynamoDB only actions its function is granted, on the table or a declared index', () => {
    const ungranted = FUNCTION_NAMES.flatMap((fn) =>
      fns[fn].tableCalls.flatMap((c) => {
        const granted = TABLE_GRANTS[fn][c.table as TableName] ?? [];
        const ok =
          granted.includes(c.action as TableAction) &&
          (c.index === undefined ||
            (INDEX_ACTIONS.includes(c.action as TableAction) &&
              ((TABLES[c.table as TableName] as TableSpec).globalIndexes ?? []).some(
                (g) => g.name === c.index,
              )));
        return ok ? [] : [`${fn}: dynamodb:${c.action} on ${c.table}${c.index ? `/index/${c.index}` : ''}`];
      }),
    );
    expect([...new Set(ungranted)]).toEqual([]);
  });

  it('exercises every granted DynamoDB action, or names why not', () => {
    const used = new Set(
      FUNCTION_NAMES.flatMap((fn) => fns[fn].tableCalls.map((c) => `${fn} ${c.table} ${c.action}`)),
    );
    const excused = new Set(UNEXERCISED.map((u) => `${u.fn} ${u.table} ${u.action}`));
    const granted = FUNCTION_NAMES.flatMap((fn) =>
      Object.entries(TABLE_GRANTS[fn]).flatMap(([table, actions]) =>
        actions.map((a) => `${fn} ${table} ${a}`),
      ),
    );
    expect(granted.filter((g) => !used.has(g) && !excused.has(g))).toEqual([]);
    expect([...excused].filter((e) => used.has(e))).toEqual([]);
  });

  it('sends SNS, SQS and IoT only what the function is granted, and uses every such grant', () => {
    const sent: Record<FunctionName, string[]> = Object.fromEntries(
      FUNCTION_NAMES.map((fn) => {
        const { sns, sqs, iot } = fns[fn];
        const actions = [
          ...sns.calls().map((c) => iamAction('sns', c.args[0] as object)),
          ...sqs.calls().map((c) => iamAction('sqs', c.args[0] as object)),
          ...iot.calls().map((c) => iamAction('iot', c.args[0] as object)),
        ];
        return [fn, [...new Set(actions)].sort()];
      }),
    ) as Record<FunctionName, string[]>;
    const granted = FUNCTION_NAMES.flatMap((fn) => SERVICE_GRANTS[fn].map((a) => `${fn} ${a}`));
    const used = FUNCTION_NAMES.flatMap((fn) => sent[fn].map((a) => `${fn} ${a}`));
    const excused = new Set(UNEXERCISED_SERVICE.map((u) => `${u.fn} ${u.action}`));
    expect(used.filter((u) => !granted.includes(u))).toEqual([]);
    expect(granted.filter((g) => !used.includes(g) && !excused.has(g))).toEqual([]);
    expect(used.filter((u) => excused.has(u))).toEqual([]);
  });
});
