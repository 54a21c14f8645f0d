import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleConfig } from '../../functions/contract/console-config';

/** Where `npm run console:build` writes the operator console. */
const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist', import.meta.url));

/** What the console reads at start, locally: sign in with an API token, the API on the same origin. */
const LOCAL_CONSOLE_CONFIG: ConsoleConfig = { auth: 'token', apiUrl: '' };

/**
 * The headers every console response carries, as CloudFront's response headers policy sets them in the cloud: only
 * the console's own scripts, styles and API (no inline script, nothing from elsewhere), never framed.
 */
const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** An asset's file name as Vite writes it: no directories, no leading dot. */
const ASSET_NAME = /^\/assets\/([A-Za-z0-9_-][A-Za-z0-9._-]*)$/;

const NOT_BUILT =
  'The operator console is not built yet.\n\nBuild it with:  npm run console:build\n' +
  '(npm start builds it first; the API keeps working without it.)\n';

function reply(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...CONSOLE_SECURITY_HEADERS, ...headers, 'content-length': String(bytes.length) });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

async function readIfFile(path: string): Promise<Buffer | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return await readFile(path);
  } catch {
    return undefined;
  }
}

/**
 * Serves the built console beside the API: `/` (index.html, revalidated on every load so a new build is picked up),
 * `/assets/*` (content-hashed names, cached for a year) and `/config.json`. Answers whether it handled the request;
 * any other path is left to the API's 404. Files are read per request, so a rebuild needs no restart.
 */
export function consoleStatic(distDir: string = CONSOLE_DIST, config: ConsoleConfig = LOCAL_CONSOLE_CONFIG) {
  const root = resolve(distDir);
  const assets = join(root, 'assets');
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/config.json') {
      reply(
        req,
        res,
        200,
        { 'content-type': TYPES['.json'] as string, 'cache-control': 'no-cache' },
        JSON.stringify(config),
      );
      return true;
    }
    if (path === '/' || path === '/index.html') {
      const html = await readIfFile(join(root, 'index.html'));
      if (!html)
        reply(
          req,
          res,
          503,
          { 'content-type': TYPES['.txt'] as string, 'cache-control': 'no-store' },
          NOT_BUILT,
        );
      else
        reply(req, res, 200, { 'content-type': TYPES['.html'] as string, 'cache-control': 'no-cache' }, html);
      return true;
    }
    const name = ASSET_NAME.exec(path)?.[1];
    if (!name) return false;
    const file = resolve(assets, name);
    // The pattern already excludes separators and dot segments; this keeps it so if the pattern ever loosens.
    if (!file.startsWith(assets + sep)) return false;
    const body = await readIfFile(file);
    if (!body) {
      reply(req, res, 404, { 'content-type': TYPES['.txt'] as string }, `no console asset ${name}\n`);
      return true;
    }
    const type = TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
    reply(
      req,
      res,
      200,
      { 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable' },
      body,
    );
    return true;
  };
}

/** Whether the console has been built (the runtime says how to build it when not). */
export async function consoleBuilt(distDir: string = CONSOLE_DIST): Promise<boolean> {
  return (await readIfFile(join(distDir, 'index.html'))) !== undefined;
}
