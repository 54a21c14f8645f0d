import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ScheduledEvent } from 'aws-lambda';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { OutboxNotifier, outboxSubscriptionChannel } from '../../functions/adapters/outbox-notifier';
import {
  apiDeps,
  createService,
  ingestDeps,
  readServiceConfig,
  type Service,
  sweepDeps,
} from '../../functions/composition';
import { API_ROUTES } from '../../functions/contract';
import { type Device, fleetDevices } from '../../functions/core/registry';
import { buildAlarmSweepHandler } from '../../functions/handlers/alarm-sweep-handler';
import { buildApiHandler } from '../../functions/handlers/api-handler';
import { buildIngestHandler } from '../../functions/handlers/ingest-handler';
import { systemClock } from '../../functions/ports/clock';
import { MINUTE_MS } from '../../functions/shared/time';
import { syncFleet } from '../../functions/use-cases/sync-fleet';
import { readFleetFile } from '../fleet/read-fleet';
import { FUNCTIONS, SCHEDULES } from '../wiring';
import { ensureApiToken } from './api-token';
import { type LocalBroker, startLocalBroker } from './broker';
import { BrokerLiveEvents } from './broker-live-events';
import { LOCAL_AWS, startLocalDynamo } from './dynamo';
import { withTimeout } from './function-timeout';
import { startLocalHttp } from './http-server';
import { localContext } from './lambda-context';
import { deviceSecretFile, ensureDeviceSecrets } from './mqtt-credentials';
import { oversizeEntry, refusedPublishEntry } from './refused-publish';
import { LocalIngestRouter, type RouterOptions } from './router';
import { writeRuntimeInfo } from './runtime-info';

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

function scheduledEvent(id: string): ScheduledEvent {
  return {
    version: '0',
    id: randomBytes(8).toString('hex'),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${id}`],
    detail: {},
  };
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
  const { file: fleetFile, fleet } = await readFleetFile(options.fleetFile);
  const devices = fleetDevices(fleet);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    // Off the event loop the handlers and the broker run on: dynalite gets the machine's other core.
    const dynamo = await startLocalDynamo({
      dir: join(dataDir, 'dynamodb'),
      port: options.dynamoPort ?? 0,
      offThread: true,
      onCrash: (err) => {
        log(err.message);
        throw err;
      },
    });
    stops.push(dynamo.stop);
    const config = readServiceConfig({ ...process.env, ...options.env, ...dynamo.tableEnv });
    const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
    stops.push(async () => doc.destroy());

    let broker: LocalBroker | undefined;
    const outboxFile = join(dataDir, 'outbox', 'sms.jsonl');
    const subscriptionsRef: { store?: Service['subscriptions'] } = {};
    const service = createService(config, doc, {
      notifier: new OutboxNotifier({
        file: outboxFile,
        subscriptions: {
          list: (filter) => (subscriptionsRef.store as Service['subscriptions']).list(filter),
        } as Service['subscriptions'],
        clock: systemClock,
        print: (line) => log(line),
      }),
      // Live events are best effort; before the broker is up there is nobody to receive them.
      live: {
        alarmChanged: async (siteId, event) =>
          broker && new BrokerLiveEvents(broker.broker).alarmChanged(siteId, event),
      },
      subscriptionChannel: outboxSubscriptionChannel,
    });
    subscriptionsRef.store = service.subscriptions;

    const synced = await syncFleet(fleet, {
      registry: service.registry,
      subscriptions: service.subscriptions,
      channel: outboxSubscriptionChannel,
      clock: service.clock,
    });
    log(
      `registry: ${synced.devices} devices, ${synced.subscriptionsPut} SMS subscriptions from ${fleetFile}`,
    );

    const ingest = buildIngestHandler(ingestDeps(service));
    const router = new LocalIngestRouter({
      dir: join(dataDir, 'router'),
      invoke: async (event) => (await ingest(event, localContext('ingest'))) ?? undefined,
      // The event source runs several instances at once (at least five pollers); four batches in flight keep this
      // thread and dynalite's busy while each waits on the other.
      concurrency: 4,
      log,
      ...options.router,
    });
    const recovered = await router.recover();
    stops.push(() => router.stop());

    const deviceSecrets = await ensureDeviceSecrets(
      dataDir,
      devices.map((d) => d.id),
    );
    const allowAnonymousDevices =
      options.allowAnonymousDevices ?? process.env.ALLOW_ANONYMOUS_DEVICES === '1';
    if (allowAnonymousDevices) {
      log(
        'WARNING: ALLOW_ANONYMOUS_DEVICES=1: devices may connect WITHOUT their secret; for quick experiments only',
      );
    }
    const registered = (id: string | undefined) => (id && deviceSecrets.has(id) ? id : undefined);
    const keepRefused = (what: string, put: Promise<void>) =>
      put.catch((err: Error) => log(`could not keep ${what}: ${err.message}`));
    broker = await startLocalBroker({
      port: options.mqttPort ?? 1883,
      auth: { deviceSecrets, consoleToken: token, allowAnonymousDevices },
      log,
      onPublish: async (packet, client) => {
        if (LocalIngestRouter.routes(packet.topic)) {
          await router.accept(packet.topic, packet.payload as Buffer, client.id, Date.now());
        }
      },
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
    });
    stops.push((broker as LocalBroker).stop);

    const api = buildApiHandler(apiDeps(service, router.deadLetters));
    const http = await startLocalHttp({
      port: options.httpPort ?? 3000,
      routes: API_ROUTES,
      token,
      invoke: async (event) => {
        const result = await api(event, localContext('api'));
        return result ?? { statusCode: 500, body: '{"message":"no response"}' };
      },
    });
    stops.push(http.stop);

    const sweep = buildAlarmSweepHandler(sweepDeps(service));
    const schedules: Record<string, () => Promise<unknown>> = {
      'alarm-sweep': () => sweep(scheduledEvent('alarm-sweep'), localContext('alarm-sweep')),
    };
    for (const spec of SCHEDULES) {
      const run = schedules[spec.id];
      if (!run) throw new Error(`no local runner for schedule ${spec.id}`);
      const timeoutMs = FUNCTIONS[spec.function].timeoutS * 1000;
      // The invocation still under way, if any: a tick while it runs is skipped, so runs never overlap (a run past
      // its timeout is reported as failed, as Lambda would, but it cannot be killed, so it still holds the slot).
      let running: Promise<unknown> | undefined;
      const timer = setInterval(() => {
        if (running) {
          log(`schedule ${spec.id}: skipped, the previous run is still going`);
          return;
        }
        const invocation = run();
        running = invocation.finally(() => {
          running = undefined;
        });
        withTimeout(invocation, timeoutMs, spec.function).catch((err: Error) =>
          log(`schedule ${spec.id} failed: ${err.message}`),
        );
        running.catch(() => undefined);
      }, spec.everyMinutes * MINUTE_MS);
      stops.push(async () => {
        clearInterval(timer);
        await running?.catch(() => undefined);
      });
    }

    const info = await writeRuntimeInfo(dataDir, { pid: process.pid, httpPort: http.port });
    stops.push(() => rm(info, { force: true }));

    return {
      mqttPort: (broker as LocalBroker).port,
      httpPort: http.port,
      dynamoEndpoint: dynamo.endpoint,
      apiToken: token,
      tokenSource: source,
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
      runSchedule: async (id: string) => {
        const run = schedules[id];
        if (!run) throw new Error(`unknown schedule ${id}`);
        return run();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
