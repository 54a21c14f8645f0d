import { apiDeps } from '../composition';
import { cloudService } from '../composition-cloud';
import { buildApiHandler } from './api-handler';

export const handler = buildApiHandler(apiDeps(cloudService()));
