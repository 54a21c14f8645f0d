import { documentClient } from '../adapters/dynamodb/client';
import { createAdapters, ingestDeps, readServiceConfig } from '../composition';
import { buildIngestHandler } from './ingest-handler';

const config = readServiceConfig();

export const handler = buildIngestHandler(ingestDeps(config, createAdapters(config, documentClient())));
