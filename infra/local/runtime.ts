import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import {
  type Adapters,
  apiDeps,
  createAdapters,
  ingestDeps,
  readServiceConfig,
} from '../../functions/composition';
import { type Device, fleetDevices, parseFleet } from '../../functions/core/registry';
import { buildApiHandler } from '../../functions/handlers/api-handler';
import { buildIngestHandler } from '../../functions/handlers/ingest-handler';
import { API_ROUTES } from '../wiring';
import { startLocalBroker } from './broker';
import { LOCAL_AWS, startLocalDynamo } from './dynamo';
import { startLocalHttp } from './http-server';
import { localContext } from './lambda-context';
import { LocalIngestRouter } from './router';

export const DEFAULT_FLEET_FILE = 'infra/fleet/example-county.json';

export interface LocalRuntimeOptions {
  dataDir: string;
  /** 0 picks a free port. */
  mqttPort?: number;
  httpPort?: number;
  dynamoPort?: number;
  fleetFile?: string;
  /** Else `$DATA_DIR/api-token`, generated on first start. */
  apiToken?: string;
  /** Extra environment for the functions (e.g. RETENTION_DAYS). */
  env?: NodeJS.ProcessEnv;
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
  recovered: number;
  router: LocalIngestRouter;
  adapters: Adapters;
  stop(): Promise<void>;
}

async function resolveToken(
  dataDir: string,
  explicit: string | undefined,
): Promise<{ token: string; source: string }> {
  if (explicit) return { token: explicit, source: 'API_TOKEN' };
  const file = join(dataDir, 'api-token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return { token, source: file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token, source: `${file} (generated)` };
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
  const { token, source } = await resolveToken(dataDir, options.apiToken);
  const fleetFile = resolve(options.fleetFile ?? DEFAULT_FLEET_FILE);
  let fleetText: string;
  try {
    fleetText = await readFile(fleetFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read fleet file ${fleetFile}: ${(err as Error).message}`);
  }
  let fleetDoc: unknown;
  try {
    fleetDoc = JSON.parse(fleetText);
  } catch (err) {
    throw new Error(`fleet file ${fleetFile} is not JSON: ${(err as Error).message}`);
  }
  const devices = fleetDevices(parseFleet(fleetDoc));

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dynamo = await startLocalDynamo({ dir: join(dataDir, 'dynamodb'), port: options.dynamoPort ?? 0 });
    stops.push(dynamo.stop);
    const config = readServiceConfig({ ...process.env, ...options.env, ...dynamo.tableEnv });
    const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
    stops.push(async () => doc.destroy());
    const adapters = createAdapters(config, doc);
    await adapters.registry.putMany(devices);

    const ingest = buildIngestHandler(ingestDeps(config, adapters));
    const router = new LocalIngestRouter({
      dir: join(dataDir, 'router'),
      invoke: async (event) => (await ingest(event, localContext('ingest'))) ?? undefined,
      log,
    });
    const recovered = await router.recover();
    stops.push(() => router.stop());

    const broker = await startLocalBroker({
      port: options.mqttPort ?? 1883,
      log,
      onPublish: async (packet, client) => {
        if (LocalIngestRouter.routes(packet.topic)) {
          await router.accept(packet.topic, packet.payload as Buffer, client.id, Date.now());
        }
      },
      onRefused: (packet, client) => {
        if (LocalIngestRouter.routes(packet.topic)) {
          router.accept(packet.topic, packet.payload as Buffer, client.id, Date.now()).catch((err: Error) => {
            log(`could not keep refused message from ${client.id}: ${err.message}`);
          });
        }
      },
    });
    stops.push(broker.stop);

    const api = buildApiHandler(apiDeps(adapters));
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

    return {
      mqttPort: broker.port,
      httpPort: http.port,
      dynamoEndpoint: dynamo.endpoint,
      apiToken: token,
      tokenSource: source,
      dataDir,
      fleetFile,
      devices,
      outboxFile: join(dataDir, 'outbox', 'sms.jsonl'),
      dlqFile: router.dlqPath,
      recovered,
      router,
      adapters,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
