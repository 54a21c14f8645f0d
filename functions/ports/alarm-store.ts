import type { AlarmEpisodes } from './alarm-episodes';
import type { AlarmNotifications } from './alarm-notifications';
import type { AlarmQueries } from './alarm-queries';
import type { DetectorStates } from './detector-states';
import type { FloodWindows } from './flood-windows';
import type { Heartbeats } from './heartbeats';
import type { OpenAlarmIndex } from './open-alarm-index';
import type { PendingEvaluations } from './pending-evaluations';

/**
 * Everything the alarms table keeps, as one store implements it. Code that uses the store asks for the parts it needs
 * (the engine, the sweep, ingest and the API each name theirs); this whole is for the composition root and for fakes.
 */
export type AlarmStore = AlarmEpisodes &
  AlarmQueries &
  AlarmNotifications &
  OpenAlarmIndex &
  FloodWindows &
  Heartbeats &
  PendingEvaluations &
  DetectorStates;
