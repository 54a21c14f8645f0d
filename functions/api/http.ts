import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { DomainError, ValidationError } from '../core/errors';
import { logger } from '../shared/logger';

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** Validates query-string parameters; a 400 names every bad parameter and what it must be. */
export function parseQuery<S extends z.ZodType>(schema: S, event: ApiEvent): z.infer<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues
      .map((i) => `query parameter ${i.path.join('.') || '(query)'}: ${i.message}`)
      .join('; '),
  );
}

/** Validates a JSON request body. */
export function parseBody<S extends z.ZodType>(schema: S, event: ApiEvent): z.infer<S> {
  let body: unknown;
  try {
    const raw = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    body = JSON.parse(raw || 'null');
  } catch (err) {
    throw new ValidationError(`request body is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((i) => `body ${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  );
}

export function pathParam(event: ApiEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined || value === '') throw new ValidationError(`path parameter ${name} is missing`);
  return decodeURIComponent(value);
}

/** Epoch ms or an ISO-8601 date-time, as a query parameter. */
export const timeParam = z.union([
  z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number),
  z.iso
    .datetime({ offset: true, message: 'must be epoch milliseconds or an ISO-8601 date-time' })
    .transform((s) => Date.parse(s)),
]);

/** Maps errors to responses: a DomainError's message is meant for the caller; anything else is a logged 500. */
export function errorResponses(): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof DomainError && error.status < 500) {
        request.response = json(error.status, { message: error.message });
        return;
      }
      logger.error('request failed', { error: error as Error, routeKey: request.event.routeKey });
      request.response = json(500, { message: 'internal error; the request id is in the service log' });
    },
  };
}
