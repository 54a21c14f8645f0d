import { z } from 'zod';
import { ALARM_AUDIENCES, ROLE_PERMISSIONS } from '../core/roles';
import type { Clock } from '../ports/clock';
import { countyOverview, type OverviewDeps } from '../use-cases/county-overview';
import type { OverviewResponse, WhoAmI } from './console-types';
import { type ApiEvent, type ApiResult, json, parseQuery } from './http';
import { principalOf } from './principal';

export interface ConsoleApiDeps extends OverviewDeps {
  clock: Clock;
}

/** Neither route takes a parameter; one sent anyway is a mistake the caller should hear about. */
const noQuery = z.object({}).strict();

/** The two routes the operator console needs beyond the rest of the API: who is signed in, and the county at a glance. */
export const consoleRoutes: Record<string, (event: ApiEvent, deps: ConsoleApiDeps) => Promise<ApiResult>> = {
  'GET /me': async (event) => {
    parseQuery(noQuery, event);
    const caller = principalOf(event);
    return json(200, {
      name: caller.name,
      role: caller.role,
      permissions: [...ROLE_PERMISSIONS[caller.role]],
      ackAudiences: [...ALARM_AUDIENCES[caller.role]],
    } satisfies WhoAmI);
  },

  'GET /overview': async (event, deps) => {
    parseQuery(noQuery, event);
    return json(200, (await countyOverview(deps, deps.clock.now())) satisfies OverviewResponse);
  },
};
