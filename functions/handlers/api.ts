import { documentClient } from '../adapters/dynamodb/client';
import { apiDeps, createAdapters, readServiceConfig } from '../composition';
import { buildApiHandler } from './api-handler';

const config = readServiceConfig();

export const handler = buildApiHandler(apiDeps(createAdapters(config, documentClient())));
