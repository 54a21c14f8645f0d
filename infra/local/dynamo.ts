import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLES, type TableName, type TableSpec } from '../../functions/contract';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  /** Table names as the functions receive them (the env vars of the wiring). */
  tableEnv: Record<string, string>;
  tableNames: Record<TableName, string>;
  stop(): Promise<void>;
}

/** Credentials and region for talking to dynalite; dynalite accepts any. */
export const LOCAL_AWS = {
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

function createTableInput(name: string, spec: TableSpec): CreateTableCommandInput {
  const keys = [spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])];
  const indexKeys = (spec.globalIndexes ?? []).flatMap((g) => [
    g.partitionKey,
    ...(g.sortKey ? [g.sortKey] : []),
  ]);
  const attributes = new Map([...keys, ...indexKeys].map((k) => [k.name, k.type]));
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(spec.partitionKey, spec.sortKey),
    GlobalSecondaryIndexes: spec.globalIndexes?.length
      ? spec.globalIndexes.map((g) => ({
          IndexName: g.name,
          KeySchema: keySchema(g.partitionKey, g.sortKey),
          Projection: { ProjectionType: 'ALL' },
        }))
      : undefined,
  };
}

/** Creates every table of the wiring that does not exist yet. */
export async function ensureTables(
  client: DynamoDBClient,
  prefix: string,
): Promise<Record<TableName, string>> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  const names = {} as Record<TableName, string>;
  for (const [key, spec] of Object.entries(TABLES) as [TableName, TableSpec][]) {
    const name = `${prefix}${key}`;
    names[key] = name;
    if (!existing.has(name)) await client.send(new CreateTableCommand(createTableInput(name, spec)));
  }
  return names;
}

/** A dynalite server, listening on loopback. */
interface DynaliteServer {
  port: number;
  close(): Promise<void>;
}

async function startInline(path: string | undefined, port: number): Promise<DynaliteServer> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve()))),
  };
}

/**
 * dynalite on a worker thread: every request is parsed, run against LevelDB and answered off the caller's event
 * loop, so the service and the database use two cores, as they do in the cloud. A worker thread (unlike a child
 * process) dies with the process, so a kill -9 never leaves a dynalite holding the LevelDB lock.
 */
async function startWorker(
  path: string | undefined,
  port: number,
  onCrash: (err: Error) => void,
): Promise<DynaliteServer> {
  const worker = new Worker(new URL('./dynamo-worker.mjs', import.meta.url), { workerData: { path, port } });
  let stopping = false;
  const listening = new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`dynalite worker exited with code ${code} before listening`)),
    );
    worker.on('message', (m: { type: string; port?: number }) => {
      if (m.type === 'listening') resolve(m.port as number);
    });
  });
  const actualPort = await listening;
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  const crashed = (why: string) =>
    new Error(
      `local DynamoDB (dynalite worker thread${path ? `, data in ${path}` : ''}) stopped unexpectedly: ${why}. ` +
        'Nothing accepted is lost (the router spool keeps it); restart to continue.',
    );
  worker.on('error', (err) => {
    if (!stopping) onCrash(crashed(err.stack ?? err.message));
  });
  worker.on('exit', (code) => {
    if (!stopping) onCrash(crashed(`exit code ${code}`));
  });
  return {
    port: actualPort,
    close: async () => {
      stopping = true;
      const stopped = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: { type: string; error?: string }) => {
          if (m.type === 'stopped') m.error ? reject(new Error(m.error)) : resolve();
        });
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ type: 'stop' });
      await stopped;
      await worker.terminate();
    },
  };
}

/** By default a crashed dynalite worker crashes the process, as an in-process dynalite's uncaught error would. */
const crashProcess = (err: Error) => {
  process.nextTick(() => {
    throw err;
  });
};

/**
 * Starts dynalite on loopback, persisted under `dir` (in memory when `dir` is undefined), and creates the tables.
 * With `offThread` it runs on a worker thread (the local runtime does this); `onCrash` then hears of a worker that
 * stopped on its own (default: the error is thrown, which ends the process).
 */
export async function startLocalDynamo(options: {
  dir?: string;
  port?: number;
  prefix?: string;
  offThread?: boolean;
  onCrash?: (err: Error) => void;
}): Promise<LocalDynamo> {
  const server = options.offThread
    ? await startWorker(options.dir, options.port ?? 0, options.onCrash ?? crashProcess)
    : await startInline(options.dir, options.port ?? 0);
  const port = server.port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    const tableNames = await ensureTables(client, options.prefix ?? 'pamir-');
    const tableEnv = Object.fromEntries(
      (Object.keys(TABLES) as TableName[]).map((k) => [TABLES[k].envVar, tableNames[k]]),
    );
    return { endpoint, port, tableEnv, tableNames, stop: () => server.close() };
  } catch (err) {
    await server.close().catch(() => undefined);
    throw err;
  } finally {
    client.destroy();
  }
}
