import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type ApiEvent, type ApiResult, errorResponses } from '../api/http';
import { type ApiDeps, type RouteHandler, routes } from '../api/routes';
import { NotFoundError } from '../core/errors';
import { logger } from '../shared/logger';

/** HTTP API → route handler by route key. API Gateway (or the local server) has authenticated the caller. */
export function buildApiHandler(deps: ApiDeps, table: Record<string, RouteHandler> = routes) {
  return middy<ApiEvent, ApiResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorResponses())
    .handler(async (event) => {
      const route = table[event.routeKey];
      if (!route) throw new NotFoundError(`no route for ${event.routeKey}`);
      return route(event, deps);
    });
}
