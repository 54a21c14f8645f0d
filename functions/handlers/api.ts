import { apiDeps } from '../composition';
import { cloudDeadLetters, cloudService } from '../composition-cloud';
import { buildApiHandler } from './api-handler';

export const handler = buildApiHandler(apiDeps(cloudService(), cloudDeadLetters()));
