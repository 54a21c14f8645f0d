import { cloudRollupJobDeps } from '../composition-cloud';
import { buildRollupsHandler } from './rollups-handler';

export const handler = buildRollupsHandler(cloudRollupJobDeps());
