/** A refused or failed API call, with the server's own message (shown to the user as it is). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

/** The console's view of the HTTP API: JSON in and out, the caller's bearer token on every call. */
export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** A non-JSON body (CSV, HTML) fetched with the caller's credentials, e.g. to open or download a report. */
  blob(path: string, query?: Query): Promise<Blob>;
  /**
   * Starts a GET now; the next `get` of the same path and query takes its answer (once). The shell primes the first
   * page's main read while it asks `GET /me`, so the two travel together instead of one after the other.
   */
  prime(path: string, query?: Query): void;
  /**
   * A conditional GET for polling: sends `If-None-Match` with the last ETag and answers `unchanged` on 304, so an
   * unchanged list costs the server no body and the browser no re-render.
   */
  poll<T>(
    path: string,
    query: Query | undefined,
    etag: string | undefined,
  ): Promise<{ unchanged: true } | { unchanged: false; body: T; etag: string | undefined }>;
}

/** Where the API is and how to get the current bearer token (it can change: Cognito refreshes it). */
export interface ApiOptions {
  baseUrl: string;
  token(): Promise<string>;
  /** Called on 401: the session is over (token revoked or expired) and the user must sign in again. */
  onUnauthorized?(message: string): void;
  fetch?: typeof fetch;
}

/** `path?query` with undefined values left out. */
function urlOf(baseUrl: string, path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return `${baseUrl}${path}${qs ? `?${qs}` : ''}`;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`.trim();
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      if (text) message = text.slice(0, 500);
    }
  } catch {
    // The body could not be read; the status line stays the message.
  }
  return new ApiError(res.status, message);
}

/** An {@link Api} over fetch. */
export function createApi(options: ApiOptions): Api {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  async function call(method: string, url: string, body?: unknown, extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${await options.token()}`, ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, `the API cannot be reached (${(err as Error).message}); check the network`);
    }
    if (res.status === 401) {
      const error = await errorOf(res);
      options.onUnauthorized?.(error.message);
      throw error;
    }
    return res;
  }
  const getJson = async (url: string) => {
    const res = await call('GET', url);
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as unknown;
  };
  const primed = new Map<string, Promise<unknown>>();
  return {
    async get<T>(path: string, query?: Query) {
      const url = urlOf(options.baseUrl, path, query);
      const early = primed.get(url);
      primed.delete(url);
      return (await (early ?? getJson(url))) as T;
    },
    prime(path: string, query?: Query) {
      const url = urlOf(options.baseUrl, path, query);
      const early = getJson(url);
      // Nobody may take it (the user navigates away first); its failure then is nobody's to report.
      early.catch(() => undefined);
      primed.set(url, early);
    },
    async send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
      const res = await call(method, urlOf(options.baseUrl, path), body);
      if (!res.ok) throw await errorOf(res);
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async blob(path: string, query?: Query) {
      const res = await call('GET', urlOf(options.baseUrl, path, query));
      if (!res.ok) throw await errorOf(res);
      return res.blob();
    },
    async poll<T>(path: string, query: Query | undefined, etag: string | undefined) {
      const res = await call(
        'GET',
        urlOf(options.baseUrl, path, query),
        undefined,
        etag ? { 'if-none-match': etag } : {},
      );
      if (res.status === 304) return { unchanged: true as const };
      if (!res.ok) throw await errorOf(res);
      return {
        unchanged: false as const,
        body: (await res.json()) as T,
        etag: res.headers.get('etag') ?? undefined,
      };
    },
  };
}
