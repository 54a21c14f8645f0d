import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
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

/**
 * Starts dynalite on loopback, persisted under `dir` (in memory when `dir` is undefined), and creates the tables.
 */
export async function startLocalDynamo(options: {
  dir?: string;
  port?: number;
  prefix?: string;
}): Promise<LocalDynamo> {
  const server = dynalite({ path: options.dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    const tableNames = await ensureTables(client, options.prefix ?? 'pamir-');
    const tableEnv = Object.fromEntries(
      (Object.keys(TABLES) as TableName[]).map((k) => [TABLES[k].envVar, tableNames[k]]),
    );
    return {
      endpoint,
      port,
      tableEnv,
      tableNames,
      stop: () =>
        new Promise<void>((resolve, reject) =>
          server.close((err?: Error) => (err ? reject(err) : resolve())),
        ),
    };
  } finally {
    client.destroy();
  }
}
