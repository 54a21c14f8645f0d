import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { alarmRoutes } from '../api/alarm-routes';
import { binRoutes } from '../api/bin-routes';
import { consoleRoutes } from '../api/console-routes';
import { deadLetterRoutes } from '../api/dead-letter-routes';
import { type ApiEvent, type ApiResult, errorResponses } from '../api/http';
import { principalOf } from '../api/principal';
import { reportRoutes } from '../api/report-routes';
import { authorizeRoute } from '../api/route-permissions';
import { routes as readingRoutes } from '../api/routes';
import { seriesRoutes } from '../api/series-routes';
import { subscriptionRoutes } from '../api/subscription-routes';
import { windowRoutes } from '../api/window-routes';
import type { ApiDeps } from '../composition';
import { NotFoundError } from '../core/errors';
import { logger } from '../shared/logger';

export type RouteTable = Record<string, (event: ApiEvent, deps: ApiDeps) => Promise<ApiResult>>;

/** Every route the API function serves, keyed by API Gateway route key (exactly the contract's API_ROUTES). */
export const ROUTE_TABLE: RouteTable = {
  ...readingRoutes,
  ...seriesRoutes,
  ...alarmRoutes,
  ...subscriptionRoutes,
  ...binRoutes,
  ...deadLetterRoutes,
  ...windowRoutes,
  ...reportRoutes,
  ...consoleRoutes,
};

/**
 * HTTP API → route handler by route key. API Gateway (or the local server) has authenticated the caller; the role in
 * the caller's claims must allow the route (functions/api/route-permissions.ts) before it runs.
 */
export function buildApiHandler(deps: ApiDeps, table: RouteTable = ROUTE_TABLE) {
  return middy<ApiEvent, ApiResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorResponses())
    .handler(async (event) => {
      const route = table[event.routeKey];
      if (!route) throw new NotFoundError(`no route for ${event.routeKey}`);
      authorizeRoute(event.routeKey, principalOf(event).role);
      return route(event, deps);
    });
}
