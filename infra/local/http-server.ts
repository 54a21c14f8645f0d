import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import type { RouteSpec } from '../../functions/contract';

export interface LocalHttpOptions {
  port?: number;
  routes: readonly RouteSpec[];
  /**
   * The callers and their bearer tokens; every route requires one (the stand-in for the cloud's JWT authorizer). The
   * caller's identity reaches the function as API Gateway's JWT authorizer hands over a Cognito token's claims.
   */
  callers: readonly LocalCaller[];
  invoke: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  maxBodyBytes?: number;
  /**
   * Serves what is not an API route (the operator console's files): answers whether it handled the request. Asked
   * only for paths no route matches, so the API always wins.
   */
  staticFiles?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
}

/** A caller the local server knows: a name, a role (a Cognito group in the cloud) and a bearer token. */
export interface LocalCaller {
  name: string;
  role: string;
  token: string;
}

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
}

function compile(spec: RouteSpec): CompiledRoute {
  const params: string[] = [];
  const source = spec.path.replace(/[.*?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { spec, pattern: new RegExp(`^${source}$`), params };
}

/**
 * API Gateway's HTTP API percent-decodes the request path before it matches routes, and decodes each path parameter
 * once more before the Lambda event (live captures: `/x/a%252Fb` arrives as `a/b`, `/x/a%2525b` as `a%b`, and
 * `/x/a%25zz` is refused with 400 before any function runs). The local server does the same, so an id that would
 * break in the cloud breaks here too.
 */
function decodeOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const MALFORMED_PATH = {
  message:
    'Bad Request: the path holds a malformed percent-escape; write % as %25 and escape only whole UTF-8 bytes',
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The caller whose token the Authorization header carries. Every known token is compared, each in constant time over
 * equal-length digests, so neither the time taken nor an early exit tells which token or how much of one matched.
 */
function callerOf(header: string | undefined, callers: readonly LocalCaller[]): LocalCaller | undefined {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const given = digest(match[1]);
  let found: LocalCaller | undefined;
  for (const caller of callers) if (timingSafeEqual(given, digest(caller.token))) found ??= caller;
  return found;
}

/**
 * The claims API Gateway's JWT authorizer would put in the event for a Cognito token of this caller: array claims
 * arrive as one bracketed, space-separated string, every other claim as a string.
 */
function claimsOf(caller: LocalCaller, now: Date): Record<string, string> {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    sub: `local-${caller.name}`,
    'cognito:username': caller.name,
    'cognito:groups': `[${caller.role}]`,
    iss: 'local',
    token_use: 'access',
    iat: String(iat),
    exp: String(iat + 3600),
  };
}

/**
 * A plain HTTP server standing in for API Gateway's HTTP API: it matches the contract's routes, checks the bearer
 * token, and hands the API function a payload-format 2.0 event with the caller's claims, as API Gateway would.
 */
export async function startLocalHttp(
  options: LocalHttpOptions,
): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  const routes = options.routes.map(compile);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      // The path as sent (URL.pathname would resolve dot segments and re-encode), decoded as API Gateway does.
      const path = decodeOrUndefined((req.url ?? '/').split('?')[0] ?? '/');
      if (path === undefined) return send(res, 400, MALFORMED_PATH);
      let matched: { route: CompiledRoute; values: string[] } | undefined;
      for (const route of routes) {
        const m = route.pattern.exec(path);
        if (m && route.spec.method === method) {
          matched = { route, values: m.slice(1) };
          break;
        }
      }
      if (!matched && (await options.staticFiles?.(req, res, path))) return;
      if (!matched) return send(res, 404, { message: `Not Found: no route ${method} ${path.slice(0, 200)}` });
      const values = matched.values.map((v) => decodeOrUndefined(v));
      if (values.some((v) => v === undefined)) return send(res, 400, MALFORMED_PATH);
      const caller = callerOf(req.headers.authorization, options.callers);
      if (!caller) {
        return send(
          res,
          401,
          { message: 'Unauthorized: send Authorization: Bearer <token>' },
          { 'www-authenticate': 'Bearer' },
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > maxBody)
          // The rest of the body is never read: close the connection so a client cannot reuse it mid-upload.
          return send(
            res,
            413,
            { message: `request body is larger than ${maxBody} bytes` },
            { connection: 'close' },
          );
        chunks.push(chunk as Buffer);
      }
      // A Map, not an object: a key such as `__proto__` or `constructor` must be a parameter like any other.
      const joined = new Map<string, string>();
      for (const [k, v] of url.searchParams) {
        const before = joined.get(k);
        joined.set(k, before === undefined ? v : `${before},${v}`);
      }
      const query: Record<string, string> = Object.fromEntries(joined);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const routeKey = `${matched.route.spec.method} ${matched.route.spec.path}`;
      const now = new Date();
      const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
        version: '2.0',
        routeKey,
        rawPath: path,
        rawQueryString: url.search.slice(1),
        headers,
        queryStringParameters: Object.keys(query).length ? query : undefined,
        pathParameters: matched.route.params.length
          ? Object.fromEntries(matched.route.params.map((p, i) => [p, values[i] ?? '']))
          : undefined,
        requestContext: {
          accountId: 'local',
          apiId: 'local',
          domainName: headers.host ?? 'localhost',
          domainPrefix: 'local',
          http: {
            method,
            path,
            protocol: `HTTP/${req.httpVersion}`,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          authorizer: { jwt: { claims: claimsOf(caller, now), scopes: null } },
          requestId: randomUUID(),
          routeKey,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
        },
        body: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined,
        isBase64Encoded: false,
      };
      const result = await options.invoke(event);
      res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
      res.end(result.body ?? '');
    } catch (err) {
      send(res, 500, { message: `local server error: ${(err as Error).message}` });
    }
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
