import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CachedDeviceRegistry } from './adapters/cached-device-registry';
import type { BatchWriteOptions } from './adapters/dynamodb/batch-write';
import { DynamoDeviceRegistry } from './adapters/dynamodb/device-registry';
import { DynamoQuarantineStore } from './adapters/dynamodb/quarantine-store';
import { DynamoReadingStore } from './adapters/dynamodb/reading-store';
import type { ApiDeps } from './api/routes';
import { type Clock, systemClock } from './ports/clock';
import { positiveInt, readConfig, tableVars } from './shared/config';
import type { IngestDeps } from './use-cases/ingest-telemetry';

/** Settings every function reads; table names are required, retention has documented defaults. */
export const serviceConfigShape = {
  ...tableVars('readings', 'devices', 'quarantine'),
  RETENTION_DAYS: positiveInt(400),
  QUARANTINE_RETENTION_DAYS: positiveInt(90),
};
export type ServiceConfig = ReturnType<typeof readServiceConfig>;

export function readServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return readConfig(serviceConfigShape, env);
}

export interface Adapters {
  registry: CachedDeviceRegistry;
  readings: DynamoReadingStore;
  quarantine: DynamoQuarantineStore;
  clock: Clock;
}

/** Builds the adapters once per process (cold start) over one document client. */
export function createAdapters(
  config: ServiceConfig,
  doc: DynamoDBDocumentClient,
  options: { clock?: Clock; writeOptions?: BatchWriteOptions } = {},
): Adapters {
  const clock = options.clock ?? systemClock;
  return {
    registry: new CachedDeviceRegistry(new DynamoDeviceRegistry(doc, config.DEVICES_TABLE), clock),
    readings: new DynamoReadingStore(doc, config.READINGS_TABLE, options.writeOptions),
    quarantine: new DynamoQuarantineStore(doc, config.QUARANTINE_TABLE, config.QUARANTINE_RETENTION_DAYS),
    clock,
  };
}

export function ingestDeps(config: ServiceConfig, adapters: Adapters): IngestDeps {
  return { ...adapters, retentionDays: config.RETENTION_DAYS };
}

export function apiDeps(adapters: Adapters): ApiDeps {
  return adapters;
}
