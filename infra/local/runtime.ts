import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { OutboxNotifier, outboxSubscriptionChannel } from '../../functions/adapters/outbox-notifier';
import {
  apiDeps,
  createService,
  ingestDeps,
  readServiceConfig,
  type Service,
  type ServiceConfig,
  subscriptionChangeDeps,
} from '../../functions/composition';
import { API_ROUTES } from '../../functions/contract';
import { type Device, type Fleet, fleetDevices } from '../../functions/core/registry';
import { warningLevelText } from '../../functions/core/site-warnings';
import { fleetFileActor } from '../../functions/core/subscription-audit';
import { buildApiHandler } from '../../functions/handlers/api-handler';
import { buildIngestHandler } from '../../functions/handlers/ingest-handler';
import { systemClock } from '../../functions/ports/clock';
import { checkSiteWarningLevels, RECENT_MEDIAN } from '../../functions/use-cases/site-warning-check';
import { syncFleet } from '../../functions/use-cases/sync-fleet';
import { readFleetFile } from '../fleet/read-fleet';
import { FUNCTIONS } from '../wiring';
import { ensureApiToken, LOCAL_ADMIN_NAME, type NamedApiToken, readApiTokens } from './api-token';
import { type BrokerOptions, type LocalBroker, startLocalBroker } from './broker';
import { BrokerLiveEvents } from './broker-live-events';
import { consoleStatic } from './console-static';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from './dynamo';
import { type LocalCaller, startLocalHttp } from './http-server';
import { localContext } from './lambda-context';
import { deviceSecretFile, ensureDeviceSecrets } from './mqtt-credentials';
import { oversizeEntry, refusedPublishEntry } from './refused-publish';
import { LocalIngestRouter, type RouterOptions } from './router';
import { writeRuntimeInfo } from './runtime-info';
import { startLocalSchedules } from './schedule-runner';

export interface LocalRuntimeOptions {
  dataDir: string;
  /** 0 picks a free port. */
  mqttPort?: number;
  httpPort?: number;
  dynamoPort?: number;
  fleetFile?: string;
  /** Else `$DATA_DIR/api-token`, generated on first start. */
  apiToken?: string;
  /**
   * Accept devices without their secret (quick experiments); default `ALLOW_ANONYMOUS_DEVICES=1` in the environment.
   */
  allowAnonymousDevices?: boolean;
  /** Extra environment for the functions (e.g. RETENTION_DAYS). */
  env?: NodeJS.ProcessEnv;
  /** Router settings (backlog bound; tests shorten retry delays). */
  router?: Partial<
    Pick<RouterOptions, 'maxBacklog' | 'retryDelayMs' | 'maxBatchingWindowMs' | 'segmentBytes'>
  >;
  log?: (line: string) => void;
}

export interface LocalRuntime {
  mqttPort: number;
  httpPort: number;
  dynamoEndpoint: string;
  apiToken: string;
  tokenSource: string;
  /** The named tokens of `$DATA_DIR/api-tokens.json` (the admin token above comes first and is not among them). */
  namedTokens: NamedApiToken[];
  dataDir: string;
  fleetFile: string;
  devices: Device[];
  outboxFile: string;
  dlqFile: string;
  /** A device's MQTT password file: `$DATA_DIR/devices/<deviceId>.secret`. */
  deviceSecretFile(deviceId: string): string;
  allowAnonymousDevices: boolean;
  recovered: number;
  router: LocalIngestRouter;
  service: Service;
  /** Runs a scheduled job now (tests, and engineers who do not want to wait for the timer). */
  runSchedule(id: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** What every start step needs: where the data lives, where lines go, and where to leave its stop. */
interface StepContext {
  dataDir: string;
  log: (line: string) => void;
  /** Takes a part's stop as soon as the part is up; the runtime runs them in reverse, on stop or on a failed start. */
  onStop(stop: () => Promise<void>): void;
}

/** The broker, once it is up; the service is built before it and publishes live events through this. */
interface LiveBroker {
  broker?: LocalBroker;
}

async function startStorage(ctx: StepContext, port: number): Promise<LocalDynamo> {
  // Off the event loop the handlers and the broker run on: dynalite gets the machine's other core.
  const dynamo = await startLocalDynamo({
    dir: join(ctx.dataDir, 'dynamodb'),
    port,
    offThread: true,
    onCrash: (err) => {
      ctx.log(err.message);
      throw err;
    },
  });
  ctx.onStop(dynamo.stop);
  return dynamo;
}

function buildLocalService(
  ctx: StepContext,
  config: ServiceConfig,
  dynamoEndpoint: string,
  outboxFile: string,
  live: LiveBroker,
): Service {
  const doc = documentClient({ endpoint: dynamoEndpoint, ...LOCAL_AWS });
  ctx.onStop(async () => doc.destroy());
  const subscriptionsRef: { store?: Service['subscriptions'] } = {};
  const service = createService(config, doc, {
    notifier: new OutboxNotifier({
      file: outboxFile,
      subscriptions: {
        list: (filter) => (subscriptionsRef.store as Service['subscriptions']).list(filter),
      } as Service['subscriptions'],
      clock: systemClock,
      print: (line) => ctx.log(line),
    }),
    // Live events are best effort; before the broker is up there is nobody to receive them.
    live: {
      alarmChanged: async (siteId, event) =>
        live.broker && new BrokerLiveEvents(live.broker.broker).alarmChanged(siteId, event),
    },
    subscriptionChannel: outboxSubscriptionChannel,
  });
  subscriptionsRef.store = service.subscriptions;
  return service;
}

async function syncRegistry(ctx: StepContext, fleet: Fleet, fleetFile: string, service: Service) {
  const synced = await syncFleet(fleet, {
    ...subscriptionChangeDeps(service),
    registry: service.registry,
    actor: fleetFileActor(fleetFile),
  });
  ctx.log(
    `registry: ${synced.devices} devices, ${synced.subscriptionsPut} SMS subscriptions from ${fleetFile}`,
  );
  // A warning level a site's normal water sits beyond would be on all day: said at start, naming site and metric.
  const devices = await service.registry.list();
  for (const finding of await checkSiteWarningLevels(devices, service.readings, service.clock.now()))
    ctx.log(warningLevelText(finding, RECENT_MEDIAN.days));
}

async function startIngestRouter(
  ctx: StepContext,
  service: Service,
  settings: LocalRuntimeOptions['router'],
): Promise<{ router: LocalIngestRouter; recovered: number }> {
  // The router is also where ingest re-enqueues what one invocation defers; it exists by the time ingest runs.
  const routerRef: { router?: LocalIngestRouter } = {};
  const requeue = {
    requeue: (bodies: readonly string[]) => (routerRef.router as LocalIngestRouter).requeue(bodies),
  };
  const ingest = buildIngestHandler(ingestDeps(service, { requeue }));
  const timeoutMs = FUNCTIONS.ingest.timeoutS * 1000;
  const router = new LocalIngestRouter({
    dir: join(ctx.dataDir, 'router'),
    invoke: async (event) => (await ingest(event, localContext('ingest', timeoutMs))) ?? undefined,
    // The event source runs several instances at once (at least five pollers); four batches in flight keep this
    // thread and dynalite's busy while each waits on the other.
    concurrency: 4,
    log: ctx.log,
    ...settings,
  });
  routerRef.router = router;
  const recovered = await router.recover();
  ctx.onStop(() => router.stop());
  return { router, recovered };
}

async function deviceAccess(
  ctx: StepContext,
  devices: Device[],
  allowAnonymous: boolean | undefined,
): Promise<{ deviceSecrets: Map<string, string>; allowAnonymousDevices: boolean }> {
  const deviceSecrets = await ensureDeviceSecrets(
    ctx.dataDir,
    devices.map((d) => d.id),
  );
  const allowAnonymousDevices = allowAnonymous ?? process.env.ALLOW_ANONYMOUS_DEVICES === '1';
  if (allowAnonymousDevices) {
    ctx.log(
      'WARNING: ALLOW_ANONYMOUS_DEVICES=1: devices may connect WITHOUT their secret; for quick experiments only',
    );
  }
  return { deviceSecrets, allowAnonymousDevices };
}

/** Where the broker sends what it refuses: telemetry to ingest, which names the reason; the rest to quarantine. */
function quarantineRefused(
  ctx: StepContext,
  router: LocalIngestRouter,
  service: Service,
  deviceSecrets: ReadonlyMap<string, string>,
): Pick<BrokerOptions, 'onRefused' | 'onOversize'> {
  const registered = (id: string | undefined) => (id && deviceSecrets.has(id) ? id : undefined);
  const keepRefused = (what: string, put: Promise<void>) =>
    put.catch((err: Error) => ctx.log(`could not keep ${what}: ${err.message}`));
  return {
    onRefused: (packet, client, why) => {
      const payload = packet.payload as Buffer;
      // Telemetry topics go the way the IoT rule would take them, where ingest names the reason.
      const put = LocalIngestRouter.routes(packet.topic)
        ? router.accept(packet.topic, payload, client.id, Date.now())
        : service.quarantine.put([
            refusedPublishEntry({
              topic: packet.topic,
              clientId: client.id,
              deviceId: registered(client.id),
              payload,
              receivedAt: Date.now(),
              why,
            }),
          ]);
      keepRefused(`refused message from ${client.id}`, put);
    },
    onOversize: (publish) => {
      // Before CONNECT is accepted there is no one to attribute it to; the broker has logged it.
      if (!publish.clientId) return;
      keepRefused(
        `oversize message from ${publish.clientId}`,
        service.quarantine.put([oversizeEntry(publish, Date.now(), registered(publish.clientId))]),
      );
    },
  };
}

async function startBroker(
  ctx: StepContext,
  port: number,
  auth: BrokerOptions['auth'],
  router: LocalIngestRouter,
  service: Service,
): Promise<LocalBroker> {
  const broker = await startLocalBroker({
    port,
    auth,
    log: ctx.log,
    onPublish: async (packet, client) => {
      if (LocalIngestRouter.routes(packet.topic)) {
        await router.accept(packet.topic, packet.payload as Buffer, client.id, Date.now());
      }
    },
    ...quarantineRefused(ctx, router, service, auth.deviceSecrets),
  });
  ctx.onStop(broker.stop);
  return broker;
}

/** Starts the HTTP API in place of API Gateway; returns its port. */
async function startApi(
  ctx: StepContext,
  port: number,
  callers: readonly LocalCaller[],
  service: Service,
  router: LocalIngestRouter,
): Promise<number> {
  const api = buildApiHandler(apiDeps(service, router.deadLetters));
  const http = await startLocalHttp({
    port,
    routes: API_ROUTES,
    callers,
    // The operator console on the same origin as the API, as CloudFront serves both in the cloud.
    staticFiles: consoleStatic(),
    invoke: async (event) => {
      const result = await api(event, localContext('api'));
      return result ?? { statusCode: 500, body: '{"message":"no response"}' };
    },
  });
  ctx.onStop(http.stop);
  return http.port;
}

/**
 * Starts the whole service in this process on embedded stand-ins: dynalite (persisted under dataDir), the aedes
 * broker, the router that plays IoT rule + SQS + event source, and the HTTP API, all running the same handlers as
 * the cloud.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  await mkdir(dataDir, { recursive: true });
  const { token, source } = await ensureApiToken(dataDir, options.apiToken);
  // The generated (or API_TOKEN) token is the local administrator; api-tokens.json adds people with other roles.
  const admin: LocalCaller = { name: LOCAL_ADMIN_NAME, role: 'admin', token };
  const namedTokens = await readApiTokens(dataDir, admin);
  const { file: fleetFile, fleet } = await readFleetFile(options.fleetFile);
  const devices = fleetDevices(fleet);

  const stops: (() => Promise<void>)[] = [];
  const ctx: StepContext = { dataDir, log, onStop: (stop) => stops.push(stop) };
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dynamo = await startStorage(ctx, options.dynamoPort ?? 0);
    const config = readServiceConfig({ ...process.env, ...options.env, ...dynamo.tableEnv });
    const outboxFile = join(dataDir, 'outbox', 'sms.jsonl');
    const live: LiveBroker = {};
    const service = buildLocalService(ctx, config, dynamo.endpoint, outboxFile, live);
    await syncRegistry(ctx, fleet, fleetFile, service);
    const { router, recovered } = await startIngestRouter(ctx, service, options.router);
    const { deviceSecrets, allowAnonymousDevices } = await deviceAccess(
      ctx,
      devices,
      options.allowAnonymousDevices,
    );
    const auth = { deviceSecrets, consoleToken: token, allowAnonymousDevices };
    const broker = await startBroker(ctx, options.mqttPort ?? 1883, auth, router, service);
    live.broker = broker;
    const httpPort = await startApi(ctx, options.httpPort ?? 3000, [admin, ...namedTokens], service, router);
    const runSchedule = startLocalSchedules(service, log, ctx.onStop);
    const info = await writeRuntimeInfo(dataDir, { pid: process.pid, httpPort });
    stops.push(() => rm(info, { force: true }));

    return {
      mqttPort: broker.port,
      httpPort,
      dynamoEndpoint: dynamo.endpoint,
      apiToken: token,
      tokenSource: source,
      namedTokens,
      dataDir,
      fleetFile,
      devices,
      outboxFile,
      dlqFile: router.dlqPath,
      deviceSecretFile: (deviceId) => deviceSecretFile(dataDir, deviceId),
      allowAnonymousDevices,
      recovered,
      router,
      service,
      runSchedule,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
