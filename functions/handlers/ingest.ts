import { ingestDeps } from '../composition';
import { cloudIngestRequeue, cloudService } from '../composition-cloud';
import { buildIngestHandler } from './ingest-handler';

export const handler = buildIngestHandler(ingestDeps(cloudService(), { requeue: cloudIngestRequeue() }));
