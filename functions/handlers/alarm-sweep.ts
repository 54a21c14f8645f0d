import { sweepDeps } from '../composition';
import { cloudService } from '../composition-cloud';
import { buildAlarmSweepHandler } from './alarm-sweep-handler';

export const handler = buildAlarmSweepHandler(sweepDeps(cloudService()));
