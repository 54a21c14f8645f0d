import { createHash } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { CONTRACT_LIMITS, DEVICE_ID_PATTERN } from '../contract';
import { DomainError, ValidationError } from '../core/errors';
import { logger } from '../shared/logger';

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** The request body is larger than the API accepts. */
class PayloadTooLargeError extends DomainError {
  override readonly status = 413;
}

/**
 * Largest JSON body a route accepts. Every body the API takes (an acknowledgement, a shelving, a subscription) is well
 * under 4 KiB; the bound keeps a hostile body from costing parse time and memory.
 */
const MAX_BODY_BYTES = 64 * 1024;

export function json(statusCode: number, body: unknown): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** The entity tags an `If-None-Match` header lists (weak ones compared by their opaque part, as RFC 9110 says). */
function entityTags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .filter((t) => t !== '');
}

/**
 * A JSON response with a strong `ETag` over its body, or `304` with no body when the request's `If-None-Match`
 * already names it: a client polling for changes (the console's live alarm list) then downloads nothing while
 * nothing changed. The work behind the body is still done; the saving is bytes and client work, not reads.
 */
export function conditionalJson(event: ApiEvent, statusCode: number, body: unknown): ApiResult {
  const result = json(statusCode, body);
  const tag = `"${createHash('sha256')
    .update(result.body as string)
    .digest('base64url')
    .slice(0, 32)}"`;
  const headers = { ...result.headers, etag: tag };
  const header = event.headers?.['if-none-match'];
  if (header !== undefined && entityTags(header).some((t) => t === tag || t === '*'))
    return { statusCode: 304, headers, body: '' };
  return { ...result, headers };
}

/** At most this much of a caller's value is echoed back in an error message. */
const ECHO_CHARS = 40;
const echo = (value: string) =>
  JSON.stringify(value.length <= ECHO_CHARS ? value : `${value.slice(0, ECHO_CHARS)}…`);

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
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(`request body is larger than ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(raw || 'null');
  } catch (err) {
    throw new ValidationError(
      `request body is not JSON (${(err as Error).message}); send a JSON object with content-type application/json`,
    );
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((i) => `body ${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  );
}

/** What a path parameter must look like, and how to say so. */
export interface IdFormat {
  readonly pattern: RegExp;
  readonly describe: string;
}

/**
 * Identifier formats. Checking them before any lookup keeps over-long or odd ids away from DynamoDB (whose key limits
 * would answer a 500) and keeps internal items (alarm index `dev#…`, flood windows) out of reach of the API.
 */
export const ID_FORMATS = {
  device: {
    pattern: DEVICE_ID_PATTERN,
    describe: 'device ids are 1–64 characters of A–Z, a–z, 0–9, _ and -',
  },
  /** Site ids follow the registry's rule for ids. */
  site: { pattern: DEVICE_ID_PATTERN, describe: 'site ids are 1–64 characters of A–Z, a–z, 0–9, _ and -' },
  /** `alarmIdFor`: "A" and 8 characters of an alphabet without 0, 1, I and O. */
  alarm: {
    pattern: /^A[2-9A-HJ-NP-Z]{8}$/,
    describe: 'alarm ids are "A" and 8 characters of 2–9 and A–Z without I and O, e.g. A7K2M9QXR',
  },
  /** `sub-<uuid>` from the API, `fleet-<hash>` or a fleet file's own id ([A-Za-z0-9_-]{1,64}). */
  subscription: {
    pattern: DEVICE_ID_PATTERN,
    describe: 'subscription ids are 1–64 characters of A–Z, a–z, 0–9, _ and -, e.g. sub-…',
  },
} as const satisfies Record<string, IdFormat>;

/**
 * A path parameter, checked against its format. API Gateway has already percent-decoded it (and the local server does
 * the same), so it is used as given: decoding again would turn `%` into an error and `%2525` into another id.
 */
export function pathParam(event: ApiEvent, name: string, format: IdFormat): string {
  const value = event.pathParameters?.[name];
  if (value === undefined || value === '') throw new ValidationError(`path parameter ${name} is missing`);
  if (!format.pattern.test(value))
    throw new ValidationError(`path parameter ${name} ${echo(value)} is not valid: ${format.describe}`);
  return value;
}

/** A query parameter holding an id of the given format. */
export const idParam = (format: IdFormat) => z.string().regex(format.pattern, format.describe);

/** Cursors are opaque; the store that issued one checks its shape. This bounds what reaches the store. */
export const cursorParam = z
  .string()
  .min(1, 'must not be empty')
  .max(2048, 'is not a cursor this API issued: pass the nextCursor of the previous page unchanged');

/** Free text in a query parameter (a township name): bounded, not empty. */
export const textParam = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

/**
 * The range of times the API accepts. Readings start at the contract's earliest timestamp (2020-01-01); the upper
 * bound is far enough for any query and keeps every derived time (a day or a year either side) inside the range a
 * JavaScript Date can hold, so no date arithmetic or formatting downstream can throw.
 */
const TIME_RANGE = {
  earliest: CONTRACT_LIMITS.earliestTs,
  latest: Date.UTC(2100, 0, 1),
} as const;
const timeRangeMessage = `must lie between ${new Date(TIME_RANGE.earliest).toISOString()} and ${new Date(
  TIME_RANGE.latest,
).toISOString()} (epoch ms ${TIME_RANGE.earliest}–${TIME_RANGE.latest})`;

/** An epoch-ms time, already a number (a JSON body field), within `TIME_RANGE`. */
export const epochMs = z
  .number()
  .int('must be whole epoch milliseconds')
  .min(TIME_RANGE.earliest, timeRangeMessage)
  .max(TIME_RANGE.latest, timeRangeMessage);

/** Epoch ms or an ISO-8601 date-time with offset, as a query parameter or body string, within `TIME_RANGE`. */
export const timeParam = z
  .union(
    [
      z
        .string()
        .regex(/^\d{1,16}$/)
        .transform(Number),
      z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    ],
    {
      error:
        'must be epoch milliseconds or an ISO-8601 date-time with offset, e.g. 2025-11-28T10:00:00+08:00',
    },
  )
  .pipe(z.number().min(TIME_RANGE.earliest, timeRangeMessage).max(TIME_RANGE.latest, timeRangeMessage));

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
